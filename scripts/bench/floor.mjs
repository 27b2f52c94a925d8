// The floor: a bare node:http handler making the same upstream call as the BFF's login
// (the code exchange at the simulator) and nothing else.
import { createServer } from 'node:http';

const { SIM, APPID, SECRET } = process.env;
const server = createServer(async (req, res) => {
  if (req.method === 'GET') return void res.end('ok');
  let body = '';
  for await (const chunk of req) body += chunk;
  const { code } = JSON.parse(body);
  const q = new URLSearchParams({ appid: APPID, secret: SECRET, code, grant_type: 'authorization_code' });
  const reply = await (await fetch(`${SIM}/sns/oauth2/access_token?${q}`)).json();
  res.writeHead(reply.openid ? 200 : 400, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ next: 'bind', returnTo: '/', openid: reply.openid }));
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
