// Loads the playground in headless Chromium with no network beyond this
// machine, runs one operation from the page and prints a JSON report:
//   node run.mjs <chromium> <page URL> <query> <headers JSON> <text to wait for>
// The Go test (browser_test.go) starts the server and checks the report.
import puppeteer from 'puppeteer-core';

const [chromium, url, query, headers, want] = process.argv.slice(2);
const origin = new URL(url).origin;
const report = { foreign: [], failed: [], errors: [], violations: [], explorer: false, found: false, response: '' };

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: [
    '--no-sandbox', // tests run as root
    // No name resolves and every connection not to 127.0.0.1 goes to a
    // closed port: the page works offline or not at all.
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
    '--proxy-server=http://127.0.0.1:9',
    '--proxy-bypass-list=127.0.0.1',
    '--no-first-run', '--disable-background-networking', '--disable-component-update',
  ],
});
try {
  const page = await browser.newPage();
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin + '/') && !u.startsWith(origin.replace(/^http/, 'ws') + '/') && !u.startsWith('data:')) {
      report.foreign.push(u);
    }
  });
  page.on('requestfailed', (r) => report.failed.push(r.url() + ' ' + (r.failure()?.errorText ?? '')));
  page.on('response', async (r) => {
    if (r.status() >= 400) report.errors.push(`${r.status()} ${r.url()}: ${(await r.text().catch(() => '')).slice(0, 300)}`);
  });
  page.on('pageerror', (e) => report.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') report.errors.push(m.text()); });
  await page.exposeFunction('reportViolation', (v) => report.violations.push(v));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.reportViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 20000 });

  // A Radix dialog (it adds a <style> element): the CSP must allow it.
  await page.click('[aria-label="Open settings dialog"]');
  await page.waitForSelector('[role="dialog"]');
  await page.keyboard.press('Escape');

  // The explorer plugin lists the schema's fields (so introspection worked).
  await page.click('[aria-label="Show GraphiQL Explorer"]');
  report.explorer = await page.waitForFunction(
    () => document.querySelector('.graphiql-plugin')?.innerText.includes('products'),
    { timeout: 10000 }).then(() => true, () => false);

  // The headers tab, then the query, as a user would fill them in.
  const [tab] = await page.$$('xpath/.//button[normalize-space()="Headers"]');
  await tab.click();
  await page.evaluate((q, h) => {
    const editors = [...document.querySelectorAll('.CodeMirror')];
    document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q);
    const shown = editors.filter((e) => e.closest('.graphiql-editor-tool') && e.closest('.graphiql-editor:not(.hidden)'));
    shown.forEach((e) => e.CodeMirror.setValue(h));
    return shown.length;
  }, query, headers);
  await page.click('.graphiql-execute-button');
  const ok = await page.waitForFunction(
    (w) => document.querySelector('.graphiql-response')?.innerText.includes(w),
    { timeout: 20000 }, want).then(() => true, () => false);
  report.found = ok;
  report.response = await page.evaluate(() => document.querySelector('.graphiql-response')?.innerText ?? '');
} catch (e) {
  report.errors.push('driver: ' + (e?.stack ?? String(e)));
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
