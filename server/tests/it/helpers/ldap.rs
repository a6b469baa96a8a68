//! A real LDAP directory for the tests: Debian's OpenLDAP `slapd` on loopback,
//! configured from scratch in a temporary folder (cn=config by `slapadd`), with a
//! campus of people and groups. `./x test` installs `slapd`. It allows
//! "unauthenticated binds" (a DN with an empty password answered with success, RFC
//! 4513 §5.1.2), as some directories do, so that sending one would show.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use domain::accounts::directory::{DirectoryConfig, Groups};

pub const BASE: &str = "dc=campus,dc=example";
pub const PEOPLE: &str = "ou=people,dc=campus,dc=example";
pub const GROUPS: &str = "ou=groups,dc=campus,dc=example";
pub const SERVICE_DN: &str = "cn=portcullis,ou=services,dc=campus,dc=example";
pub const SERVICE_PASSWORD: &str = "service account secret";
pub const ROOT_DN: &str = "cn=root,dc=campus,dc=example";
pub const ROOT_PASSWORD: &str = "root secret";
pub const ADMINS: &str = "cn=portcullis-admins,ou=groups,dc=campus,dc=example";
pub const DEVELOPERS: &str = "cn=developers,ou=groups,dc=campus,dc=example";

/// Every person's directory password is their uid followed by this.
pub const PASSWORD_SUFFIX: &str = "-directory-passphrase";

pub fn password_of(uid: &str) -> String {
    format!("{uid}{PASSWORD_SUFFIX}")
}

pub struct Slapd {
    child: Child,
    /// `ldap://` (StartTLS offered) and `ldaps://` on loopback.
    pub url: String,
    pub ldaps_url: String,
    /// The PEM of the certificate authority that signed the server's certificate
    /// (for `127.0.0.1`): `[ldap] ca_file`.
    pub ca_file: String,
    _dir: tempfile::TempDir,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `uid`, display name, given name, family name, mail, and whether the entry is
/// marked disabled (`employeeType: disabled`, which the user filter leaves out).
const PEOPLE_ROWS: &[(&str, &str, &str, &str, &str, bool)] = &[
    (
        "ada",
        "Ada Lovelace",
        "Ada",
        "Lovelace",
        "ada@campus.example",
        false,
    ),
    (
        "grace",
        "Grace Hopper",
        "Grace",
        "Hopper",
        "grace@campus.example",
        false,
    ),
    (
        "linus",
        "Linus Pauling",
        "Linus",
        "Pauling",
        "linus@campus.example",
        false,
    ),
    (
        "olga",
        "Olga Ladyzhenskaya",
        "Olga",
        "Ladyzhenskaya",
        "olga@campus.example",
        true,
    ),
    (
        "emmy",
        "Emmy Noether",
        "Emmy",
        "Noether",
        "emmy@campus.example",
        false,
    ),
];

fn config_ldif(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "dn: cn=config\nobjectClass: olcGlobal\ncn: config\nolcPidFile: {d}/slapd.pid\n\
         olcTLSCACertificateFile: {d}/ca.pem\nolcTLSCertificateFile: {d}/server.pem\n\
         olcTLSCertificateKeyFile: {d}/server.key\n\
         olcAllows: bind_anon_dn\n\n\
         dn: cn=module{{0}},cn=config\nobjectClass: olcModuleList\ncn: module{{0}}\n\
         olcModulePath: /usr/lib/ldap\nolcModuleLoad: back_mdb\n\n\
         dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n\
         include: file:///etc/ldap/schema/core.ldif\n\n\
         include: file:///etc/ldap/schema/cosine.ldif\n\n\
         include: file:///etc/ldap/schema/inetorgperson.ldif\n\n\
         dn: olcDatabase={{-1}}frontend,cn=config\nobjectClass: olcDatabaseConfig\n\
         objectClass: olcFrontendConfig\nolcDatabase: {{-1}}frontend\n\n\
         dn: olcDatabase={{0}}config,cn=config\nobjectClass: olcDatabaseConfig\n\
         olcDatabase: {{0}}config\nolcAccess: {{0}}to * by * none\n\n\
         dn: olcDatabase={{1}}mdb,cn=config\nobjectClass: olcDatabaseConfig\n\
         objectClass: olcMdbConfig\nolcDatabase: {{1}}mdb\nolcSuffix: {BASE}\n\
         olcRootDN: {ROOT_DN}\nolcRootPW: {ROOT_PASSWORD}\nolcDbDirectory: {d}/data\n\
         olcDbMaxSize: 67108864\n\
         olcAccess: {{0}}to attrs=userPassword by self write by anonymous auth by * none\n\
         olcAccess: {{1}}to * by dn.exact=\"{SERVICE_DN}\" read by self read by * none\n"
    )
}

fn data_ldif() -> String {
    let mut s = format!(
        "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Campus\ndc: campus\n\n\
         dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: ou=services,{BASE}\nobjectClass: organizationalUnit\nou: services\n\n\
         dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n\
         cn: portcullis\nuserPassword: {SERVICE_PASSWORD}\n\n"
    );
    for (uid, cn, given, sn, mail, disabled) in PEOPLE_ROWS {
        let kind = if *disabled { "disabled" } else { "active" };
        s.push_str(&format!(
            "dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {cn}\n\
             givenName: {given}\nsn: {sn}\nmail: {mail}\nemployeeType: {kind}\n\
             userPassword: {}\n\n",
            password_of(uid)
        ));
    }
    // grace administers; linus develops; the groups name people by DN (a
    // groupOfNames needs a member: the root's stays when grace leaves).
    s.push_str(&format!(
        "dn: {ADMINS}\nobjectClass: groupOfNames\ncn: portcullis-admins\n\
         member: uid=grace,{PEOPLE}\nmember: {ROOT_DN}\n\n\
         dn: {DEVELOPERS}\nobjectClass: groupOfNames\ncn: developers\n\
         member: uid=linus,{PEOPLE}\nmember: uid=grace,{PEOPLE}\n\n"
    ));
    s
}

/// A certificate authority and, signed by it, a certificate for 127.0.0.1.
fn certificates(dir: &Path) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Campus test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    server
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let cert = server.signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {cmd:?} ({e}): slapd is Debian's `slapd` package, which ./x test installs"
        )
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Slapd {
    /// A fresh directory on a free loopback port, answering when this returns.
    pub async fn start() -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("slapd.d");
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        certificates(dir.path());
        std::fs::write(dir.path().join("config.ldif"), config_ldif(dir.path())).unwrap();
        std::fs::write(dir.path().join("data.ldif"), data_ldif()).unwrap();
        run(Command::new("/usr/sbin/slapadd")
            .args(["-n0", "-F"])
            .arg(&conf)
            .arg("-l")
            .arg(dir.path().join("config.ldif")));
        run(Command::new("/usr/sbin/slapadd")
            .args(["-n1", "-q", "-F"])
            .arg(&conf)
            .arg("-l")
            .arg(dir.path().join("data.ldif")));
        for _ in 0..5 {
            let (port, tls_port) = (free_port(), free_port());
            let url = format!("ldap://127.0.0.1:{port}");
            let ldaps_url = format!("ldaps://127.0.0.1:{tls_port}");
            // `-d 0`: stay in the foreground (no fork), log nothing.
            let mut child = Command::new("/usr/sbin/slapd")
                .arg("-F")
                .arg(&conf)
                .args(["-h", &format!("{url}/ {ldaps_url}/"), "-d", "0"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("slapd starts");
            for _ in 0..100 {
                let up = |p| tokio::net::TcpStream::connect(("127.0.0.1", p));
                if up(port).await.is_ok() && up(tls_port).await.is_ok() {
                    return Slapd {
                        child,
                        url,
                        ldaps_url,
                        ca_file: dir.path().join("ca.pem").display().to_string(),
                        _dir: dir,
                    };
                }
                if child.try_wait().unwrap().is_some() {
                    break; // a port was taken meanwhile: others
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("slapd did not start");
    }

    /// The `[ldap]` settings for this directory: search by the service account,
    /// disabled entries left out by the filter, groups mapped to roles.
    pub fn settings(&self) -> DirectoryConfig {
        DirectoryConfig {
            url: self.url.clone(),
            starttls: false,
            ca_file: None,
            bind_dn: Some(SERVICE_DN.into()),
            bind_password: Some(domain::platform::secret::SecretString::new(
                SERVICE_PASSWORD,
            )),
            base_dn: PEOPLE.into(),
            user_filter: "(&(objectClass=inetOrgPerson)(uid={username})(!(employeeType=disabled)))"
                .into(),
            attributes: Default::default(),
            groups: Some(Groups {
                base_dn: GROUPS.into(),
                filter: "(&(objectClass=groupOfNames)(member={dn}))".into(),
                admin: vec![ADMINS.into()],
                developer: vec![DEVELOPERS.into()],
            }),
            default_role: domain::accounts::Role::User,
            trust_email: true,
            timeout_secs: 5,
        }
    }

    /// Changes the directory as its administrators would (bound as its root).
    pub async fn modify(&self, dn: &str, mods: Vec<ldap3::Mod<&str>>) {
        let (conn, mut ldap) = ldap3::LdapConnAsync::new(&self.url).await.unwrap();
        ldap3::drive!(conn);
        ldap.simple_bind(ROOT_DN, ROOT_PASSWORD)
            .await
            .unwrap()
            .success()
            .unwrap();
        ldap.modify(dn, mods).await.unwrap().success().unwrap();
        ldap.unbind().await.unwrap();
    }
}
