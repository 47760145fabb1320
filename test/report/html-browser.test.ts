/**
 * The HTML report in a real browser (Debian's Chromium, headless), at 1280
 * and 400 pixels: self-contained, no console error, an example link opens
 * its ladder, the connection table filters, text stays readable on a phone,
 * and the page reads whole without JavaScript. Screenshots of both widths go
 * to test/artifacts/.
 */
import test from 'ava';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { CAPTURES, ROOT } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test/artifacts');

/** Elements wider than the window that are not inside a sideways-scrolling box. */
const overflowing = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll')).map((e) => e.tagName + (e.id ? `#${e.id}` : '')),
  );

/** The smallest font size, in CSS pixels as drawn, of text the reader sees. */
const smallestText = (page: Page) =>
  page.evaluate(() => {
    let smallest = Infinity;
    for (const e of document.querySelectorAll('p, li, td, th, h1, h2, h3, code, label, svg text')) {
      if (!e.textContent?.trim()) continue;
      // SVG text as drawn: its font size times the drawing's scale on the page.
      const svg = e instanceof SVGElement ? e.ownerSVGElement : null;
      const scale = svg ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 1;
      const size = parseFloat(getComputedStyle(e).fontSize) * scale;
      if (size > 0) smallest = Math.min(smallest, size);
    }
    return smallest;
  });

test('the HTML report in Chromium: self-contained, example links open ladders, the table filters, readable at 1280 and 400 px and without JavaScript', async (t) => {
  if (!existsSync(CHROMIUM)) return t.pass('chromium is not installed here; CI installs it');
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, 'report.html');
  const result = runCli(['report', '--format', 'html', '-o', file, path.join(CAPTURES, 'close-wait-leak.pcap')]);
  t.is(result.status, 0, result.stderr);
  t.is(result.stdout, '', '-o: nothing on standard output');
  const url = pathToFileURL(file).href;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    for (const width of [1280, 400]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      const requests: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
      await page.goto(url);
      t.deepEqual(errors, [], `${width} px: no console error`);
      t.deepEqual(requests, [], 'self-contained: no network');
      t.deepEqual(await overflowing(page), [], `${width} px: nothing wider than the window but inside its scroll box`);
      t.true((await smallestText(page)) >= 11, `${width} px: no text under 11 px`);
      t.true((await page.locator('svg.chart polyline').count()) >= 5, 'a line per state held');
      t.true((await page.locator('svg.chart text').count()) >= 6, 'ticks on both axes');
      t.is(await page.locator('ul.legend li').count(), await page.locator('svg.chart polyline').count(), 'a legend entry per line');

      // An example link of the first finding opens that connection's ladder.
      const link = page.locator('.finding a[href^="#C"]').first();
      const target = (await link.getAttribute('href'))!;
      await link.click();
      await page.waitForFunction((hash) => location.hash === hash, target);
      const ladder = page.locator(`section${target.replace('#', '#')} svg.ladder`);
      t.true(await ladder.isVisible(), `${target}'s ladder is there`);
      const box = (await page.locator(`section${target}`).boundingBox())!;
      t.true(box.y >= -1 && box.y < 900, `${target} scrolled into view`);
      t.regex((await page.locator(`section${target} .filter-line code`).textContent()) ?? '', /frame\.number>=\d+/, 'the Wireshark filter beside the ladder');

      // The table filters by anomaly and by endpoint.
      const rows = page.locator('#connections tbody tr');
      const total = await rows.count();
      await page.selectOption('#f-anomaly', 'close_wait_stuck');
      t.is(await page.locator('#connections tbody tr:not([hidden])').count(), 5, 'five connections stuck in CLOSE_WAIT');
      await page.fill('#f-endpoint', ':8081');
      t.is(await page.locator('#connections tbody tr:not([hidden])').count(), 0, 'none of them on port 8081');
      await page.selectOption('#f-anomaly', '');
      t.is(await page.locator('#connections tbody tr:not([hidden])').count(), 3, 'three connections on 8081');
      await page.fill('#f-endpoint', '');
      t.is(await page.locator('#connections tbody tr:not([hidden])').count(), total);
      await page.locator('#connections th', { hasText: 'duration' }).click();
      t.regex((await rows.first().locator('td').nth(7).textContent()) ?? '', /µs/, 'sorted by duration, shortest first');

      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(ARTIFACTS, `report-${width}.png`), fullPage: false });
      await page.close();
    }

    // Without JavaScript: every row shown, the filters (which need it) hidden, ladders drawn.
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const plain = await context.newPage();
    await plain.goto(url);
    t.is(await plain.locator('#connections tbody tr:not([hidden])').count(), 8);
    t.false(await plain.locator('#filters').isVisible());
    t.is(await plain.locator('svg.ladder').count(), 5);
    await context.close();
  } finally {
    await browser.close();
  }
});
