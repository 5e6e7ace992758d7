import type { Browser } from 'playwright-core';
import { playwright } from './playwright.ts';
import { errorMessage } from '../../errors.ts';
import { log } from '../../log.ts';

export interface LaunchedChromium {
  browser: Browser;
  /** The browser process id (to kill a wedged browser). */
  pid: number | undefined;
  /** Chromium's user agent with `HeadlessChrome` replaced by `Chrome` (sites block the former). */
  userAgent: string;
}

/** Start a headless Chromium; signals are left to the application's own shutdown. */
export async function launchChromium(executablePath: string, args: string[]): Promise<LaunchedChromium> {
  const browser = await playwright().chromium.launch({
    executablePath,
    headless: true,
    args,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    timeout: 30_000,
  });
  let pid: number | undefined;
  let userAgent = '';
  try {
    const cdp = await browser.newBrowserCDPSession();
    const info = (await cdp.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number }[];
    };
    pid = info.processInfo.find((p) => p.type === 'browser')?.id;
    const version = (await cdp.send('Browser.getVersion')) as { userAgent: string };
    userAgent = version.userAgent.replace('HeadlessChrome/', 'Chrome/');
    await cdp.detach();
  } catch (err) {
    log
      .child({ component: 'browser' })
      .debug({ err: errorMessage(err) }, 'could not read browser process info');
  }
  return { browser, pid, userAgent };
}
