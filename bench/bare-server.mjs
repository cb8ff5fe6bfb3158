// Yardstick for the HTTP figures: fastify answering a fixed JSON on the same route shape, no Rampart at all.
// Whatever latency this shows on the machine is the floor under rampart serve's figures in the same run.
import Fastify from 'fastify'

const app = Fastify()
app.post('/v1/tool/:tool', async () => ({decision: 'allow', message: 'Allowed by default', policy: null, rule: null, matched_policies: [], suggestions: []}))
await app.listen({port: 0, host: '127.0.0.1'})
console.log(`listening on http://127.0.0.1:${app.server.address().port}`)
