import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {chromium, type Browser, type Page} from 'playwright-core'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {packageRoot} from '../../src/core/package-root.js'
import {startServer, type RunningServer} from '../../src/server/serve.js'
import {DEPLOY_ASK_POLICY, sandbox, write} from '../helpers.js'

// The dashboard in a real headless Chromium against an in-process `rampart serve`. The page is served from
// dist/server/dashboard (npm test builds first; run `node scripts/build.mjs` before running this file alone).
const CHROMIUM = '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) console.warn(`dashboard e2e skipped: ${CHROMIUM} not found — install Debian's chromium (apt-get install chromium), as .ci/run does`)


describe.skipIf(!haveChromium)('web dashboard in headless Chromium', {timeout: 60_000}, () => {
  let browser: Browser
  let server: RunningServer
  let token: string
  let page: Page

  beforeAll(async () => {
    expect(existsSync(join(packageRoot(), 'dist', 'server', 'dashboard', 'index.html')), 'dashboard not built — run node scripts/build.mjs').toBe(true)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // playwright gives each launch a fresh temporary --user-data-dir (and refuses one in args) and removes it on close
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })

  beforeEach(async () => {
    const s = sandbox()
    server = await startServer({
      rampartHome: s.rampartHome, env: s.env, cwd: s.cwd, host: '127.0.0.1', port: 0,
      load: {config: write(join(s.root, 'policy.yaml'), DEPLOY_ASK_POLICY)}, approvalTimeoutMs: 3600_000, sign: false,
    })
    token = readFileSync(join(s.rampartHome, 'token'), 'utf8').trim()
    page = await (await browser.newContext()).newPage()
    page.setDefaultTimeout(15_000)
  })
  afterEach(async () => {
    await page?.context().close()
    await server?.close()
  })

  const api = async (path: string, init: {method?: string; body?: unknown} = {}) => {
    const r = await fetch(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : {'content-type': 'application/json'})},
      ...(init.body === undefined ? {} : {body: JSON.stringify(init.body)}),
    })
    return {status: r.status, body: (await r.json()) as Record<string, unknown>}
  }

  /** Sign in and wait until the event stream is open, so that what the test creates next can only arrive live. */
  async function signIn(): Promise<void> {
    await page.goto(`${server.url}/dashboard/`)
    await page.getByTestId('token-input').fill(token)
    await page.getByTestId('login-submit').click()
    await expect.poll(() => page.getByTestId('status-live').getAttribute('data-state')).toBe('live')
    expect(server.events.size).toBe(1)
  }

  /** An ask created over the API after the page is open; returns its approval id. */
  async function ask(command: string): Promise<string> {
    const r = await api('/v1/tool/exec', {method: 'POST', body: {agent: 'claude-code', session: 'shop/main', params: {command}}})
    expect(r.status).toBe(202)
    expect(r.body.approval_id).toEqual(expect.any(String))
    return r.body.approval_id as string
  }

  it('refuses a wrong token, shows a new ask live, approves it and lists it under Recent', async () => {
    await page.goto(`${server.url}/dashboard/`)
    await page.getByTestId('token-input').fill('0'.repeat(64))
    await page.getByTestId('login-submit').click()
    await expect.poll(() => page.getByTestId('login-error').textContent()).toBe('wrong token — run `rampart token`')
    expect(await page.locator('#app').isHidden()).toBe(true)

    await page.getByTestId('token-input').fill(token)
    await page.getByTestId('login-submit').click()
    await expect.poll(() => page.getByTestId('status-live').getAttribute('data-state')).toBe('live')
    expect(await page.getByTestId('status-version').textContent()).toMatch(/^\d+\.\d+\.\d+/)
    expect(await page.getByTestId('status-policies').textContent()).toBe('1')
    expect(await page.getByTestId('status-pending').textContent()).toBe('0')
    expect(await page.getByTestId('reload-warning').isHidden()).toBe(true)
    expect(await page.getByTestId('pending-row').count()).toBe(0)
    let reloads = 0
    page.on('load', () => reloads++)

    const id = await ask('kubectl apply -f prod.yaml')
    const row = page.locator(`[data-testid="pending-row"][data-id="${id}"]`)
    await row.waitFor()
    const text = await row.textContent()
    for (const part of ['exec', 'kubectl apply -f prod.yaml', 'claude-code', 'shop/main', 'Production deployment requires approval']) expect(text).toContain(part)
    await expect.poll(() => page.getByTestId('status-pending').textContent()).toBe('1')

    await row.getByRole('button', {name: 'Approve exec kubectl apply -f prod.yaml'}).click()
    await row.waitFor({state: 'detached'})
    const stored = await api(`/v1/approvals/${id}`)
    expect(stored.status).toBe(200)
    expect(stored.body).toMatchObject({id, status: 'approved', resolved_by: 'dashboard'})
    expect(await page.getByTestId('pending-empty').isVisible()).toBe(true)

    await page.getByTestId('tab-recent').click()
    const done = page.locator(`[data-testid="recent-resolution"][data-id="${id}"]`)
    await done.waitFor()
    expect(await done.getByTestId('outcome').textContent()).toBe('approved')
    expect(await done.textContent()).toContain('dashboard')
    // the ask decision itself is listed too, from the live decision event
    expect(await page.getByTestId('recent-decision').filter({hasText: 'decision: ask'}).count()).toBe(1)
    expect(reloads).toBe(0)
    // a second resolution of the same approval is refused by the server (410): the button cannot replay it
    expect((await api(`/v1/approvals/${id}/resolve`, {method: 'POST', body: {approved: false}})).status).toBe(410)
  })

  it('denies with the Deny button; values are shown as text, never as markup', async () => {
    await signIn()
    const command = 'kubectl apply -f <img src=x onerror="document.title=\'pwned\'">.yaml'
    const id = await ask(command)
    const row = page.locator(`[data-testid="pending-row"][data-id="${id}"]`)
    await row.waitFor()
    expect(await row.locator('td.subject').textContent()).toBe(command)
    expect(await page.locator('img').count()).toBe(0)

    await row.getByRole('button', {name: /^Deny exec/}).click()
    await row.waitFor({state: 'detached'})
    expect((await api(`/v1/approvals/${id}`)).body).toMatchObject({id, status: 'denied', resolved_by: 'dashboard'})
    await page.getByTestId('tab-recent').click()
    const done = page.locator(`[data-testid="recent-resolution"][data-id="${id}"]`)
    await done.waitFor()
    expect(await done.getByTestId('outcome').textContent()).toBe('denied')
    expect(await page.title()).toBe('Rampart approvals')
  })

  it('moves an approval resolved elsewhere to Recent, live', async () => {
    await signIn()
    const id = await ask('kubectl apply -f staging.yaml')
    const row = page.locator(`[data-testid="pending-row"][data-id="${id}"]`)
    await row.waitFor()
    expect((await api(`/v1/approvals/${id}/resolve`, {method: 'POST', body: {approved: true, resolved_by: 'cli'}})).status).toBe(200)
    await row.waitFor({state: 'detached'})
    await page.getByTestId('tab-recent').click()
    const done = page.locator(`[data-testid="recent-resolution"][data-id="${id}"]`)
    await done.waitFor()
    expect(await done.textContent()).toContain('cli')
  })

  it('reconnects when the event stream drops and catches up', async () => {
    await signIn()
    server.events.close() // ends every open stream, as a proxy or a server restart would
    await expect.poll(() => page.getByTestId('status-live').getAttribute('data-state')).toBe('down')
    expect(server.events.size).toBe(0) // the page waits 1 s before reconnecting: this ask is missed as an event
    const id = await ask('kubectl apply -f while-offline.yaml') // and shows up through the resync after reconnecting
    await page.locator(`[data-testid="pending-row"][data-id="${id}"]`).waitFor()
    await expect.poll(() => page.getByTestId('status-live').getAttribute('data-state')).toBe('live')
    const later = await ask('kubectl apply -f after.yaml')
    await page.locator(`[data-testid="pending-row"][data-id="${later}"]`).waitFor()
  })
})
