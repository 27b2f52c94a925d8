// The floor: a bare node:http handler making the same upstream call as the BFF's login
// (the code exchange at the simulator) and nothing else. FLOOR_CLIENT=http makes that call with
// node:http and a keep-alive agent instead of fetch, as the BFF does since issue 18.
import { Agent, createServer, request } from 'node:http';

const { SIM, APPID, SECRET, FLOOR_CLIENT } = process.env;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const viaHttp = (url) =>
  new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve(JSON.parse(data)));
    })
      .on('error', reject)
      .end();
  });
const viaFetch = async (url) => (await fetch(url)).json();
const get = FLOOR_CLIENT === 'http' ? viaHttp : viaFetch;

const server = createServer(async (req, res) => {
  if (req.method === 'GET') return void res.end('ok');
  let body = '';
  for await (const chunk of req) body += chunk;
  const { code } = JSON.parse(body);
  const q = new URLSearchParams({ appid: APPID, secret: SECRET, code, grant_type: 'authorization_code' });
  const reply = await get(`${SIM}/sns/oauth2/access_token?${q}`);
  res.writeHead(reply.openid ? 200 : 400, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ next: 'bind', returnTo: '/', openid: reply.openid }));
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
