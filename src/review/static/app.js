// Spiderweb review: keyboard shortcuts. Served by the app itself; no inline scripts anywhere.
// Queue: j/k next/previous, x select, Enter or o open, c confirm, d dismiss, e escalate, z undo, / search.
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
    // Select-all and `x` for the bulk form's checkboxes.
    const boxes = () => rows.map((r) => r.querySelector('input[type="checkbox"][name="id"]'));
    document.getElementById('select-all')?.addEventListener('change', (e) => {
      for (const b of boxes()) if (b) b.checked = e.target.checked;
    });
    for (const b of boxes()) b?.addEventListener('click', (e) => e.stopPropagation());

    // Single-key decisions: undoable for a few seconds, or asked first when the analyst prefers
    // (the "ask first" box; kept in this browser).
    const ask = document.getElementById('confirm-keys');
    if (ask) {
      ask.checked = localStorage.getItem('spw-confirm-keys') === '1';
      ask.addEventListener('change', () => localStorage.setItem('spw-confirm-keys', ask.checked ? '1' : '0'));
    }
    const toast = document.getElementById('toast');
    let undoable = null;
    let hideTimer = 0;
    const setStatus = (row, status) => {
      const el = row.querySelector('.status');
      if (el) {
        el.textContent = status;
        el.className = `status s-${status}`;
      }
    };
    const post = (url, body) =>
      fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'x-csrf-token': csrf, accept: 'application/json' },
        body: new URLSearchParams(body),
      });
    const showToast = (text, withUndo) => {
      if (!toast) return;
      toast.querySelector('.msg').textContent = text;
      toast.querySelector('button').hidden = !withUndo;
      toast.hidden = false;
      clearTimeout(hideTimer);
      hideTimer = setTimeout(() => {
        toast.hidden = true;
        undoable = null;
      }, 8000);
    };
    const undo = async () => {
      const u = undoable;
      if (!u) return;
      undoable = null;
      const res = await post(`/audit/${encodeURIComponent(u.auditId)}/undo`, {});
      if (!res.ok) {
        showToast(`Could not undo: ${(await res.json().catch(() => ({}))).error ?? res.status}`, false);
        return;
      }
      const body = await res.json();
      setStatus(u.row, body.status);
      u.row.classList.remove('decided');
      showToast(`Undone: lead #${u.row.dataset.id} is ${body.status} again`, false);
    };
    toast?.querySelector('button')?.addEventListener('click', undo);
    const decide = async (decision) => {
      const row = rows[at];
      if (!row) return;
      if (ask?.checked && !window.confirm(`${decision} lead #${row.dataset.id}?`)) return;
      const res = await post(`/leads/${encodeURIComponent(row.dataset.id)}/decision`, { decision });
      if (!res.ok) {
        row.classList.add('failed');
        return;
      }
      const body = await res.json();
      setStatus(row, body.status);
      row.classList.add('decided');
      undoable = { row, auditId: body.auditId };
      showToast(`Lead #${row.dataset.id} ${body.status}.`, true);
      select(at + 1);
    };
    document.addEventListener('keydown', (e) => {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const keys = {
        j: () => (at >= rows.length - 1 ? go(document.getElementById('next-page')) : select(at + 1)),
        k: () => (at <= 0 ? go(document.getElementById('prev-page')) : select(at - 1)),
        x: () => {
          const b = boxes()[at];
          if (b) b.checked = !b.checked;
        },
        o: () => go(rows[at]),
        Enter: () => go(rows[at]),
        c: () => decide('confirm'),
        d: () => decide('dismiss'),
        e: () => decide('escalate'),
        z: () => undo(),
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
