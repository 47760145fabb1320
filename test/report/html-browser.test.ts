/** The HTML report rendered by a real browser (Debian's Chromium, headless): no console errors, chart and ladders drawn. */
import test from 'ava';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CAPTURES, ROOT } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test/artifacts');

test('the HTML report renders in Chromium with no console errors, with its chart and ladder diagrams', async (t) => {
  if (!existsSync(CHROMIUM)) return t.pass('chromium is not installed here; CI installs it');
  const report = runCli(['report', '--format', 'html', path.join(CAPTURES, 'close-wait-leak.pcap')]);
  t.is(report.status, 0, report.stderr);
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, 'report.html');
  writeFileSync(file, report.stdout);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    const requests: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    await page.goto(pathToFileURL(file).href);
    t.deepEqual(errors, []);
    t.deepEqual(requests, [], 'self-contained: no network');
    t.is(await page.locator('svg.chart polyline').count() > 0, true, 'the state chart has lines');
    t.true((await page.locator('svg.ladder').count()) >= 5, 'a ladder per flagged connection');
    t.regex((await page.locator('h3').first().textContent()) ?? '', /close_wait_leak/);
    t.notRegex((await page.locator('.finding').allTextContents()).join(' '), /`/, 'advice shows code as code, not backticks');
    t.true((await page.locator('.finding code').count()) >= 3);
    t.true((await page.locator('ul.legend li').count()) >= 5, 'a legend entry per state drawn');
    const legendOutside = async (p: typeof page) => p.evaluate(() => [...document.querySelectorAll('ul.legend li')].filter((li) => li.getBoundingClientRect().right > window.innerWidth).length);
    t.is(await legendOutside(page), 0, 'every legend entry within the page');
    await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: false });
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(pathToFileURL(file).href);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    t.true(overflow <= 1, `readable on a phone: no sideways scroll (${overflow}px)`);
    t.is(await legendOutside(phone), 0, 'the legend wraps on a phone');
  } finally {
    await browser.close();
  }
});
