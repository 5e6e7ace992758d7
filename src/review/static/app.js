// Spiderweb review: keyboard shortcuts. Served by the app itself; no inline scripts anywhere.
// Queue: j/k next/previous, Enter or o open, c confirm, d dismiss, e escalate, / search.
// Lead page: j/k next/previous lead, c/d/e decide (with the note typed), u back to the queue.
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const page = document.body.dataset.page;
  const local = (href) => typeof href === 'string' && href.startsWith('/') && !href.startsWith('//');
  const go = (el) => {
    const href = el?.getAttribute('href') ?? el?.dataset?.href;
    if (local(href)) window.location.assign(href);
  };
  const typing = (e) => {
    const t = e.target;
    return t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  };

  if (page === 'queue') {
    const rows = Array.from(document.querySelectorAll('#queue tbody tr[data-id]'));
    let at = -1;
    const select = (i) => {
      if (!rows.length) return;
      rows[at]?.classList.remove('sel');
      at = Math.max(0, Math.min(rows.length - 1, i));
      rows[at].classList.add('sel');
      rows[at].scrollIntoView({ block: 'nearest' });
    };
    for (const [i, row] of rows.entries()) row.addEventListener('click', () => select(i));
    if (rows.length) select(0);
    const decide = async (decision) => {
      const row = rows[at];
      if (!row) return;
      const res = await fetch(`/leads/${encodeURIComponent(row.dataset.id)}/decision`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'x-csrf-token': csrf, accept: 'application/json' },
        body: new URLSearchParams({ decision }),
      });
      const status = row.querySelector('.status');
      if (!res.ok) {
        row.classList.add('failed');
        return;
      }
      const body = await res.json();
      if (status) {
        status.textContent = body.status;
        status.className = `status s-${body.status}`;
      }
      row.classList.add('decided');
      select(at + 1);
    };
    document.addEventListener('keydown', (e) => {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const keys = {
        j: () => (at >= rows.length - 1 ? go(document.getElementById('next-page')) : select(at + 1)),
        k: () => (at <= 0 ? go(document.getElementById('prev-page')) : select(at - 1)),
        o: () => go(rows[at]),
        Enter: () => go(rows[at]),
        c: () => decide('confirm'),
        d: () => decide('dismiss'),
        e: () => decide('escalate'),
        '/': () => document.querySelector('#filters input[name="q"]')?.focus(),
      };
      const action = keys[e.key];
      if (action) {
        e.preventDefault();
        action();
      }
    });
  }

  if (page === 'lead') {
    document.addEventListener('keydown', (e) => {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const button = document.querySelector(`#decide button[data-key="${e.key}"]`);
      if (button) {
        e.preventDefault();
        button.click();
        return;
      }
      const links = { j: 'next-lead', k: 'prev-lead' };
      if (links[e.key]) {
        e.preventDefault();
        go(document.getElementById(links[e.key]));
      } else if (e.key === 'u') {
        e.preventDefault();
        go(document.querySelector('.crumbs a'));
      }
    });
  }
})();
