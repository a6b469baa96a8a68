// A real LDAP directory for the browser tests (issue 15): Debian's OpenLDAP slapd
// on loopback (E2E_LDAP_PORT), configured from scratch in a temporary folder, with
// a few campus people whose password is `<uid>-directory-passphrase`. The server
// under test checks their passwords there (PORTCULLIS_LDAP__* in
// playwright.config.ts). GET /ready on E2E_LDAP_HTTP_PORT answers once slapd
// accepts connections. Started by Playwright beside the server (webServer).
'use strict';
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

const port = Number(process.env.E2E_LDAP_PORT);
const httpPort = Number(process.env.E2E_LDAP_HTTP_PORT);
const BASE = 'dc=campus,dc=example';
const SERVICE = `cn=portcullis,ou=services,${BASE}`;
const PEOPLE = [
  ['ada', 'Ada Lovelace', 'Ada', 'Lovelace'],
  ['emmy', 'Emmy Noether', 'Emmy', 'Noether'],
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-ldap-'));
const conf = path.join(dir, 'slapd.d');
fs.mkdirSync(conf);
fs.mkdirSync(path.join(dir, 'data'));
fs.writeFileSync(path.join(dir, 'config.ldif'), `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${dir}/slapd.pid

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: ${BASE}
olcDbDirectory: ${dir}/data
olcDbMaxSize: 67108864
olcAccess: {0}to attrs=userPassword by anonymous auth by * none
olcAccess: {1}to * by dn.exact="${SERVICE}" read by self read by * none
`);
let data = `dn: ${BASE}
objectClass: dcObject
objectClass: organization
o: Campus
dc: campus

dn: ou=people,${BASE}
objectClass: organizationalUnit
ou: people

dn: ou=services,${BASE}
objectClass: organizationalUnit
ou: services

dn: ${SERVICE}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: portcullis
userPassword: e2e service account secret

`;
for (const [uid, cn, given, sn] of PEOPLE) {
  data += `dn: uid=${uid},ou=people,${BASE}
objectClass: inetOrgPerson
uid: ${uid}
cn: ${cn}
givenName: ${given}
sn: ${sn}
mail: ${uid}@campus.example
userPassword: ${uid}-directory-passphrase

`;
}
fs.writeFileSync(path.join(dir, 'data.ldif'), data);
execFileSync('/usr/sbin/slapadd', ['-n0', '-F', conf, '-l', path.join(dir, 'config.ldif')]);
execFileSync('/usr/sbin/slapadd', ['-n1', '-q', '-F', conf, '-l', path.join(dir, 'data.ldif')]);

// `-d 0`: in the foreground, logging nothing; it ends with this script.
const slapd = spawn('/usr/sbin/slapd', ['-F', conf, '-h', `ldap://127.0.0.1:${port}/`, '-d', '0'], { stdio: 'inherit' });
const cleanUp = () => {
  slapd.kill();
  fs.rmSync(dir, { recursive: true, force: true });
};
slapd.on('exit', (code) => {
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(code ?? 1);
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { cleanUp(); process.exit(0); });

let up = false;
const probe = () => {
  const s = net.connect(port, '127.0.0.1', () => { up = true; s.end(); });
  s.on('error', () => setTimeout(probe, 50));
};
probe();
http.createServer((req, res) => {
  res.writeHead(up && req.url === '/ready' ? 200 : 503).end();
}).listen(httpPort, '127.0.0.1');
