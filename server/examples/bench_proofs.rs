//! Signed JWTs for `scripts/bench.sh`, which wrk cannot make: one DPoP proof per
//! request (RFC 9449; each `jti` is accepted once) and one `private_key_jwt` client
//! assertion per request (RFC 7523; likewise). ES256 with a fresh key per run.
//!
//! ```text
//! bench_proofs dpop <htu> <count> <out>                      # one proof per line
//! bench_proofs assertions <client_id> <aud> <count> <dir>    # dir/jwks.json, dir/assertions.txt
//! ```

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("dpop") if args.len() == 5 => dpop(&args[2], count(&args[3]), &args[4]),
        Some("assertions") if args.len() == 6 => {
            assertions(&args[2], &args[3], count(&args[4]), &args[5])
        }
        _ => Err("usage: bench_proofs dpop <htu> <count> <out> | assertions <client_id> <aud> <count> <dir>".into()),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn count(s: &str) -> usize {
    s.parse().unwrap_or_else(|_| {
        eprintln!("error: count must be a number (got '{s}')");
        std::process::exit(2)
    })
}

struct Signer {
    pair: EcdsaKeyPair,
    jwk: Value,
    rng: SystemRandom,
}

impl Signer {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let p = pair.public_key().as_ref().to_vec();
        let jwk = json!({
            "kty": "EC", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&p[1..33]), "y": URL_SAFE_NO_PAD.encode(&p[33..65]),
        });
        Self { pair, jwk, rng }
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self.pair.sign(&self.rng, input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    fn jti(&self) -> String {
        let mut b = [0u8; 16];
        self.rng.fill(&mut b).unwrap();
        URL_SAFE_NO_PAD.encode(b)
    }
}

/// The wall clock: a load generator outside the server, which has no `Clock`.
#[allow(clippy::disallowed_methods)]
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn dpop(htu: &str, count: usize, out: &str) -> Result<(), String> {
    let s = Signer::new();
    let header = json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": s.jwk });
    let mut f = std::io::BufWriter::new(std::fs::File::create(out).map_err(|e| e.to_string())?);
    for _ in 0..count {
        // Each proof's own time: the server accepts them for 60 s.
        let claims = json!({ "jti": s.jti(), "htm": "POST", "htu": htu, "iat": now() });
        writeln!(f, "{}", s.sign(&header, &claims)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn assertions(client_id: &str, aud: &str, count: usize, dir: &str) -> Result<(), String> {
    let s = Signer::new();
    // A new key per run, under a new kid: the server fetches the JWKS again on an
    // unknown kid (it keeps a known one's key for minutes).
    let kid = format!("bench-{}", s.jti());
    let mut jwk = s.jwk.clone();
    jwk["kid"] = json!(kid);
    jwk["alg"] = json!("ES256");
    std::fs::write(
        format!("{dir}/jwks.json"),
        json!({ "keys": [jwk] }).to_string(),
    )
    .map_err(|e| e.to_string())?;
    let header = json!({ "typ": "JWT", "alg": "ES256", "kid": kid });
    let iat = now();
    let path = format!("{dir}/assertions.txt");
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| e.to_string())?);
    for _ in 0..count {
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": aud, "jti": s.jti(),
            "iat": iat, "exp": iat + 300,
        });
        writeln!(f, "{}", s.sign(&header, &claims)).map_err(|e| e.to_string())?;
    }
    Ok(())
}
