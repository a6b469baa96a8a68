// A minimal SMTP server for the browser tests (issue 15): the portcullis server
// under test delivers its mail here (PORTCULLIS_SMTP__* in playwright.config.ts),
// and specs read what arrived over HTTP: GET /mails?to=<address> answers the
// messages for that address, oldest first, as JSON [{ to, data }].
// Started by Playwright beside the server (webServer); plain node, no packages.
'use strict';
const net = require('net');
const http = require('http');

const smtpPort = Number(process.env.E2E_SMTP_PORT);
const httpPort = Number(process.env.E2E_SMTP_HTTP_PORT);
const mails = [];

net.createServer((sock) => {
  sock.setEncoding('utf8');
  let buf = '';
  let rcpt = [];
  let data = null; // the message being received after DATA, or null
  sock.write('220 e2e-sink ESMTP\r\n');
  sock.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (data !== null) {
        if (line === '.') {
          mails.push({ to: rcpt, data: data.join('\n') });
          rcpt = [];
          data = null;
          sock.write('250 queued\r\n');
        } else {
          // RFC 5321 §4.5.2: a leading dot was doubled by the sender.
          data.push(line.startsWith('..') ? line.slice(1) : line);
        }
        continue;
      }
      const upper = line.toUpperCase();
      if (upper.startsWith('EHLO') || upper.startsWith('HELO')) {
        sock.write('250-e2e-sink\r\n250 8BITMIME\r\n');
      } else if (upper.startsWith('RCPT TO:')) {
        rcpt.push(line.slice(8).trim().replace(/^<|>$/g, ''));
        sock.write('250 OK\r\n');
      } else if (upper.startsWith('DATA')) {
        data = [];
        sock.write('354 go ahead\r\n');
      } else if (upper.startsWith('QUIT')) {
        sock.end('221 bye\r\n');
      } else {
        sock.write('250 OK\r\n');
      }
    }
  });
  sock.on('error', () => {});
}).listen(smtpPort, '127.0.0.1');

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://sink');
  if (url.pathname === '/ready') {
    res.end('ok');
    return;
  }
  const to = url.searchParams.get('to');
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(mails.filter((m) => m.to.includes(to))));
}).listen(httpPort, '127.0.0.1');
