import { expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, cli, goto, ready, signIn, unique } from './helpers';

// Issue 13, defect 6: the rules editor is one form. Test shows the draft again with
// its outcomes (also without JavaScript), Save saves what was tested, errors show
// once and go when fixed, ids are unique, a rule in force is edited and deleted
// (after a confirmation), and the page links the CEL reference and its variables.

test('one rules editor: test, save what was tested, edit and delete a rule', async ({ page }, testInfo) => {
  const api = `https://api.example.edu/${unique(testInfo, 'rules')}`;
  const scope = `${unique(testInfo, 'rules')}:write`;
  cli(['api', 'add', '--name', 'Rules', '--audience', api]);
  cli(['api', 'add-scope', '--api', api, '--name', scope, '--description', 'Write rules things', '--requires-approval']);

  await signIn(page, testInfo, 'admin', ADMIN_PASSWORD);
  await goto(page, testInfo, '/admin/rules');

  // One editor, unique ids, the language reference and the variables.
  const ids = [...(await page.content()).matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  await expect(page.getByTestId('rule-editor')).toHaveCount(1);
  await expect(page.getByRole('link', { name: 'the CEL language definition' }))
    .toHaveAttribute('href', 'https://github.com/google/cel-spec/blob/master/doc/langdef.md');
  const vars = page.getByTestId('rule-variables');
  await expect(vars).toContainText('developer.email');
  await expect(vars).toContainText('client.application_type');
  await expect(vars).toContainText('request.justification');

  // A draft that does not compile: Test says so, once, beside the field, and the
  // draft stays in the editor.
  const approve = page.getByLabel('Approve if');
  await page.getByLabel(scope, { exact: true }).check();
  await approve.fill('developer.email.endsWith(');
  await page.getByRole('button', { name: 'Test against recent requests' }).click();
  await expect(page.getByText('does not compile')).toHaveCount(1);
  await ready(page, testInfo);
  await expect(approve).toHaveValue('developer.email.endsWith(');
  await expect(page.getByLabel(scope, { exact: true })).toBeChecked();

  // Fixed: Test runs it (no requests yet), the error is gone, and Save saves it.
  const rule = 'developer.email.endsWith("@example.edu")';
  await approve.fill(rule);
  await page.getByRole('button', { name: 'Test against recent requests' }).click();
  await expect(page.getByTestId('rule-trials')).toContainText('No recent requests for these scopes');
  await expect(page.getByText('does not compile')).toHaveCount(0);
  await ready(page, testInfo);
  await expect(approve).toHaveValue(rule);
  await page.getByRole('button', { name: 'Save rule' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The rule was saved' })).toBeVisible();
  const row = page.locator(`[data-testid="rule"][data-scopes~="${scope}"]`);
  await expect(row).toContainText(rule);
  await expect(page.getByTestId('form-error')).toHaveCount(0);
  await ready(page, testInfo);

  // A rule in force opens in the editor, and saving replaces it.
  await row.getByRole('link', { name: `Edit the rule for ${scope}` }).click();
  await expect(page.getByTestId('rule-editor-title')).toHaveText(`Edit the rule for ${scope}`);
  await ready(page, testInfo);
  await expect(approve).toHaveValue(rule);
  const wider = `${rule} || client.application_type == "service"`;
  await approve.fill(wider);
  await page.getByRole('button', { name: 'Save rule' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The rule was saved' })).toBeVisible();
  await expect(row).toContainText(wider);
  await expect(page.locator(`[data-testid="rule"][data-scopes~="${scope}"]`)).toHaveCount(1);
  await ready(page, testInfo);

  // Deleting asks for a confirmation first.
  await row.getByText('Delete…').click();
  const del = row.getByRole('button', { name: `Delete the rule for ${scope}` });
  await del.click();
  await expect(row).toHaveCount(1); // the browser wants the box ticked
  await row.getByLabel(/will wait for a person again/).check();
  await del.click();
  await expect(page.getByRole('status').filter({ hasText: 'The rule was deleted' })).toBeVisible();
  await expect(page.locator(`[data-testid="rule"][data-scopes~="${scope}"]`)).toHaveCount(0);
});
