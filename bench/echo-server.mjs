// The bare-Fastify baseline: GET and POST JSON echo, no logging, no validation, no database.
// Run as its own process (PORT from the environment) so it is measured like our server.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/echo', async () => ({ status: 'ok', reference_id: '2f1c7a9e-4b6d-4c1e-9f3a-6b2d8e0c5a71' }));
app.post('/echo', async (request) => request.body);
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`listening ${address}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
