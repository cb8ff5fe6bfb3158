import type {ServerResponse} from 'node:http'

/** Server-sent events to every connected client (dashboard, `rampart audit tail`-style watchers). */
export class EventHub {
  private readonly clients = new Set<ServerResponse>()
  private readonly keepAlive: NodeJS.Timeout

  constructor() {
    // proxies and browsers drop idle streams; a comment line every 15 s keeps them open
    this.keepAlive = setInterval(() => {
      for (const c of this.clients) c.write(': keep-alive\n\n')
    }, 15_000)
    this.keepAlive.unref()
  }

  add(res: ServerResponse): void {
    res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no'})
    res.write(': connected\n\n')
    this.clients.add(res)
    res.on('close', () => this.clients.delete(res))
  }

  publish(type: string, data: unknown): void {
    if (this.clients.size === 0) return
    const frame = `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`
    for (const c of this.clients) c.write(frame)
  }

  get size(): number {
    return this.clients.size
  }

  close(): void {
    clearInterval(this.keepAlive)
    for (const c of this.clients) c.end()
    this.clients.clear()
  }
}
