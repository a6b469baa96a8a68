import { expect, test } from '@playwright/test';
import {
  addDeveloper, ADMIN_PASSWORD, DEV_PASSWORD, expectAccessible, failOnPageErrors, goto, ready, signIn, unique,
} from './helpers';

// Issue 13, defect 8: the audit viewer shows people and clients by name (linked to
// their pages), times as readable text in a <time datetime> (UTC, labelled, without
// JavaScript; the viewer's own zone once hydrated), a before/after diff of the
// change in words, and the raw event one click away; the filters still work.

failOnPageErrors();

// A zone far from UTC, so a localised time differs from the UTC one.
const ZONE = 'Asia/Tokyo';
test.use({ timezoneId: ZONE, locale: 'en-US' });

test('the audit viewer shows names, readable times and a diff, with the raw event one click away', async ({ page }, testInfo) => {
  const dev = unique(testInfo, 'auditdev');
  addDeveloper(dev);
  const before = `Audit ${testInfo.project.name} ${Date.now() % 100000}`;
  const after = `${before} renamed`;

  // A developer registers a client and renames it.
  await signIn(page, testInfo, dev, DEV_PASSWORD);
  await goto(page, testInfo, '/developer/clients/new');
  await page.getByLabel('Name', { exact: true }).fill(before);
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://app.example.edu/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('client-name')).toHaveText(before);
  const clientId = (await page.getByTestId('client-id').textContent())!.trim();
  const clientUrl = new URL(page.url()).pathname;
  await goto(page, testInfo, `${clientUrl}/edit`);
  await page.getByLabel('Name', { exact: true }).fill(after);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The client was updated' })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('whoami')).toHaveCount(0);

  // The administrator filters the log to that client and that kind of event.
  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, '/admin/audit');
  await page.getByLabel('Client').fill(clientId);
  await page.getByLabel('Event').selectOption('client.updated');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/event_type=client\.updated/);
  await ready(page, testInfo);
  const events = page.getByTestId('audit-event');
  await expect(events).toHaveCount(1);
  const event = events.first();

  // Who and what by name, linked; no raw identifiers in those cells.
  const actor = event.getByTestId('audit-actor');
  await expect(actor.getByRole('link', { name: dev })).toHaveAttribute('href', `/admin/users?search=${dev}`);
  const target = event.getByTestId('audit-target');
  await expect(target.getByRole('link', { name: after })).toHaveAttribute('href', clientUrl);
  await expect(target).not.toContainText(clientId);
  // Names are not squeezed to a letter or two per line.
  expect((await actor.getByRole('link').boundingBox())!.width).toBeGreaterThan(100);

  // The time: UTC in the markup; shown in the viewer's zone once hydrated, and as
  // UTC, labelled, without JavaScript.
  const time = event.locator('time');
  const iso = (await time.getAttribute('datetime'))!;
  expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  if (testInfo.project.use.javaScriptEnabled === false) {
    await expect(time).toHaveText(`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`);
  } else {
    const local = new Date(iso).toLocaleString('en-US', {
      timeZone: ZONE, year: 'numeric', month: 'short', day: 'numeric',
      hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short',
    });
    await expect(time).toHaveText(local);
  }

  // The change in words: field, before, after.
  const change = event.getByTestId('audit-change').filter({ hasText: 'Name' });
  await expect(change.getByTestId('before')).toHaveText(before);
  await expect(change.getByTestId('after')).toHaveText(after);
  await expect(event.getByTestId('audit-details')).not.toContainText('{');

  // The raw event, one click away.
  const raw = event.getByTestId('audit-raw');
  await expect(raw.locator('pre')).not.toBeVisible();
  await raw.getByText('Raw event').click();
  await expect(raw.locator('pre')).toBeVisible();
  await expect(raw.locator('pre')).toContainText('"event_type": "client.updated"');
  await expect(raw.locator('pre')).toContainText(clientId);
  await expectAccessible(page);

  // The chain position is still shown; the filter is kept in the export links.
  await expect(event).toContainText(/#\d+/);
  await expect(page.getByRole('link', { name: 'CSV' })).toHaveAttribute('href', /event_type=client\.updated/);
});
