//! File layer: includes, conditionals, definitions, loops and lexical edges,
//! observed through the public API.

use keepalived_config::{load_file, parse_str, ConfigError, InitialState, LoadOptions, Loaded};
use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

type R = Result<(), Box<dyn Error>>;

fn opts(id: &str) -> LoadOptions {
    LoadOptions {
        config_id: Some(id.into()),
        ..LoadOptions::default()
    }
}

fn parse_as(text: &str, id: &str) -> Loaded {
    parse_str(text, Path::new("k.conf"), &opts(id))
}

fn msgs(l: &Loaded) -> Vec<String> {
    l.diagnostics.iter().map(ToString::to_string).collect()
}

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Result<Self, std::io::Error> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!(
            "keepalived-config-test-{tag}-{}-{nanos}",
            std::process::id()
        ));
        fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }

    fn write(&self, rel: &str, text: &str) -> Result<PathBuf, std::io::Error> {
        let p = self.0.join(rel);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d)?;
        }
        fs::write(&p, text)?;
        Ok(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn instance(name: &str, vrid: u32) -> String {
    format!(
        "vrrp_instance {name} {{\n interface eth0\n virtual_router_id {vrid}\n virtual_ipaddress {{ 10.0.0.{vrid} }}\n}}\n"
    )
}

fn names(l: &Loaded) -> Vec<String> {
    l.config.instances.iter().map(|i| i.name.clone()).collect()
}

#[test]
fn include_glob_relative_to_including_file() -> R {
    let t = TempDir::new("inc")?;
    let main = t.write(
        "etc/keepalived.conf",
        "global_defs { router_id R }\ninclude conf.d/*.conf\ninclude other/{x,y}.inc\n",
    )?;
    t.write("etc/conf.d/20-b.conf", &instance("B", 2))?;
    t.write(
        "etc/conf.d/10-a.conf",
        &(instance("A", 1) + "include ../nested/n.conf\n"),
    )?;
    t.write("etc/nested/n.conf", &instance("N", 3))?;
    t.write("etc/other/y.inc", &instance("Y", 5))?;
    t.write("etc/other/x.inc", &instance("X", 4))?;
    t.write("etc/conf.d/ignored.txt", &instance("Z", 9))?;
    let l = load_file(&main, &LoadOptions::default())?;
    assert_eq!(msgs(&l), Vec::<String>::new());
    assert_eq!(names(&l), ["A", "N", "B", "X", "Y"]);
    // Locations name the included file.
    let n = &l.config.instances[1];
    assert!(n.location.file.ends_with("nested/n.conf"), "{}", n.location);
    assert_eq!((n.location.line, n.location.col), (1, 1));
    Ok(())
}

#[cfg(unix)]
#[test]
fn include_skips_executables_and_directories() -> R {
    use std::os::unix::fs::PermissionsExt;
    let t = TempDir::new("exec")?;
    let main = t.write("k.conf", "include d/*\n")?;
    t.write("d/a.conf", &instance("A", 1))?;
    let x = t.write("d/b.sh", &instance("B", 2))?;
    fs::set_permissions(&x, fs::Permissions::from_mode(0o755))?;
    fs::create_dir_all(t.0.join("d/sub"))?;
    let l = load_file(&main, &LoadOptions::default())?;
    assert_eq!(names(&l), ["A"]);
    let m = msgs(&l);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m[0].contains("b.sh': file has an execute bit set - skipped"),
        "{m:?}"
    );
    assert!(m[1].contains("sub': not a regular file - skipped"), "{m:?}");
    assert!(
        m[0].starts_with(&format!("{}:1:1: warning: ", main.display())),
        "{m:?}"
    );
    Ok(())
}

#[test]
fn missing_includes() -> R {
    let t = TempDir::new("missing")?;
    let main = t.write(
        "k.conf",
        "include none.conf\nincludem none.conf\nincludem none*.conf\nincludew none*.conf\n",
    )?;
    let l = load_file(&main, &LoadOptions::default())?;
    let m = msgs(&l);
    let p = main.display();
    assert_eq!(
        m,
        [
            format!("{p}:1:1: warning: include 'none.conf': no file matches"),
            format!("{p}:2:1: error: include 'none.conf': no file matches"),
            format!("{p}:3:1: warning: include 'none*.conf': no file matches"),
            format!("{p}:4:1: error: include 'none*.conf': no file matches"),
        ]
    );
    Ok(())
}

#[test]
fn include_recursion_is_stopped() -> R {
    let t = TempDir::new("rec")?;
    let main = t.write("k.conf", "include a.conf\n")?;
    t.write("a.conf", &(instance("A", 1) + "include k.conf\n"))?;
    let l = load_file(&main, &LoadOptions::default())?;
    assert_eq!(names(&l), ["A"]);
    let m = msgs(&l);
    assert_eq!(m.len(), 1, "{m:?}");
    let chain = format!(
        "include loop ({k} -> {a} -> {k}) - skipped",
        k = main.display(),
        a = t.0.join("a.conf").display()
    );
    assert!(m[0].contains(&chain), "{m:?}");
    // The diagnostic points at the offending include line of a.conf.
    assert!(m[0].starts_with(&format!("{}:6:1: error:", t.0.join("a.conf").display())));
    Ok(())
}

#[test]
fn include_check_levels() -> R {
    let t = TempDir::new("chk")?;
    // Plain include: a missing file is only a warning, until include_check
    // raises the level; the level set inside an included file ends with it.
    let main = t.write(
        "k.conf",
        "include none1.conf\n\
         global_defs {\n include_check match\n}\n\
         include none2.conf\n\
         include sub.conf\n\
         include none3.conf\n\
         global_defs {\n include_check -match +brace_match readd\n}\n\
         include none4.conf\n",
    )?;
    t.write(
        "sub.conf",
        "global_defs {\n include_check -match\n}\ninclude none5.conf\n",
    )?;
    let l = load_file(&main, &LoadOptions::default())?;
    let sev: Vec<(String, keepalived_config::Severity)> = l
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("no file matches") || d.message.contains("include_check"))
        .map(|d| (d.message.clone(), d.severity))
        .collect();
    use keepalived_config::Severity::{Error, Fatal, Warning};
    let expect = [
        ("include 'none1.conf': no file matches", Warning),
        ("include 'none2.conf': no file matches", Fatal),
        ("include 'none5.conf': no file matches", Warning),
        ("include 'none3.conf': no file matches", Fatal),
        (
            "include_check: unknown check 'readd' - ignored (expected read, match, \
             wildcard_match, brace_match; did you mean `read`?)",
            Error,
        ),
        ("include 'none4.conf': no file matches", Warning),
    ];
    let expect: Vec<(String, _)> = expect.iter().map(|(m, s)| (m.to_string(), *s)).collect();
    assert_eq!(sev, expect);

    // -e makes every include problem an error, whatever include_check says.
    let all = LoadOptions {
        all_config: true,
        ..LoadOptions::default()
    };
    let l = load_file(&main, &all)?;
    assert!(l
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("no file matches"))
        .all(|d| d.severity == Fatal));
    Ok(())
}

#[test]
fn includes_can_be_disabled() -> R {
    let t = TempDir::new("noinc")?;
    let main = t.write("k.conf", &format!("{}include a.conf\n", instance("M", 2)))?;
    t.write("a.conf", &instance("A", 1))?;
    let no = LoadOptions {
        no_includes: true,
        ..LoadOptions::default()
    };
    let l = load_file(&main, &no)?;
    assert_eq!(names(&l), ["M"]);
    assert_eq!(
        msgs(&l),
        [format!(
            "{}:6:1: warning: include 'a.conf' not read (includes disabled)",
            main.display()
        )]
    );
    Ok(())
}

#[test]
fn rendered_diagnostics_quote_the_included_file() -> R {
    let t = TempDir::new("render")?;
    let main = t.write("k.conf", "include a.conf\n")?;
    let a = t.write(
        "a.conf",
        "vrrp_instance A {\n\tinterface eth0\n\tvirtual_router_id 1\n\tpriority 300\n}\n",
    )?;
    let l = load_file(&main, &LoadOptions::default())?;
    let d = l
        .diagnostics
        .iter()
        .find(|d| d.message.contains("300"))
        .ok_or("no diagnostic about priority 300")?;
    let r = l.render(d);
    let mut lines = r.lines();
    assert_eq!(lines.next(), Some(d.to_string().as_str()));
    assert_eq!(lines.next(), Some("  |"));
    assert_eq!(lines.next(), Some("4 | \tpriority 300"));
    assert_eq!(lines.next(), Some("  | \t         ^^^"));
    assert_eq!(d.location.file, a);
    // Both files are kept, main first.
    let files: Vec<&Path> = l.sources.files().map(|(p, _)| p).collect();
    assert_eq!(files, [main.as_path(), a.as_path()]);
    Ok(())
}

#[test]
fn main_file_missing_is_err() {
    let r = load_file(
        Path::new("/nonexistent/keepalived.conf"),
        &LoadOptions::default(),
    );
    match r {
        Err(ConfigError::Open { path, .. }) => {
            assert_eq!(path, Path::new("/nonexistent/keepalived.conf"))
        }
        Ok(_) => panic!("expected an error"),
    }
}

const COND: &str = "vrrp_instance VI {\n interface eth0\n virtual_router_id 1\n@lb1 state MASTER\n@lb1 priority 200\n@^lb1 priority 90\n@lb2\n virtual_ipaddress { 10.0.0.1 }\n}\n";

#[test]
fn conditionals() {
    let l = parse_as(COND, "lb1");
    let i = &l.config.instances[0];
    assert_eq!((i.state, i.priority), (InitialState::Master, 200));
    let l = parse_as(COND, "lb2");
    let i = &l.config.instances[0];
    assert_eq!((i.state, i.priority), (InitialState::Backup, 90));
    assert!(l.diagnostics.is_empty(), "{:?}", msgs(&l));
}

#[test]
fn definitions() {
    let text = "$IF=eth3\n$PRIO=150\n$IF_MAIN=@lb1\n$VIPS=10.0.0.1 \\\n   10.0.0.2 dev eth9   \\\n10.0.0.3\n\
                vrrp_instance VI_${PRIO} {\n interface $IF\n virtual_router_id 1\n priority $PRIO\n\
                $IF_MAIN state MASTER\n virtual_ipaddress {\n  $VIPS\n }\n notify \"/bin/echo $UNDEFINED\"\n}\n";
    let l = parse_as(text, "lb1");
    let i = &l.config.instances[0];
    assert_eq!(i.name, "VI_150");
    assert_eq!(i.interface.as_deref(), Some("eth3"));
    assert_eq!(i.priority, 150);
    assert_eq!(i.state, InitialState::Master);
    let v: Vec<(String, Option<String>)> = i
        .virtual_ipaddress
        .iter()
        .map(|v| (v.addr.to_string(), v.dev.clone()))
        .collect();
    assert_eq!(
        v,
        [
            ("10.0.0.1".to_string(), None),
            ("10.0.0.2".to_string(), Some("eth9".to_string())),
            ("10.0.0.3".to_string(), None)
        ]
    );
    // Substituted tokens point at the '$' that produced them.
    assert_eq!(
        (
            i.virtual_ipaddress[0].location.line,
            i.virtual_ipaddress[0].location.col
        ),
        (13, 3)
    );
    let l = parse_as(text, "lb2");
    assert_eq!(l.config.instances[0].state, InitialState::Backup);
}

#[test]
fn substituted_hash_starts_a_comment() {
    let text = "vrrp_instance VI {\n interface eth0\n virtual_router_id 1${_HASH}2\n virtual_ipaddress { 10.0.0.1 }\n}\n";
    let l = parse_as(text, "x");
    assert_eq!(l.config.instances[0].virtual_router_id, 1);
}

#[test]
fn seq_loops() {
    let text = "vrrp_instance VI {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n\
                ~SEQ(i, 10, 2, 14) 10.0.0.$i\n~SEQx(h, 10, 11) fe80::$h\n~LST({a,d}, {1, eth1}, {2, eth2}) 10.1.0.$a dev $d\n }\n}\n";
    let l = parse_as(text, "x");
    let v: Vec<String> = l.config.instances[0]
        .virtual_ipaddress
        .iter()
        .map(|v| {
            format!(
                "{}{}",
                v.addr,
                v.dev
                    .as_deref()
                    .map(|d| format!("@{d}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        v,
        [
            "10.0.0.10",
            "10.0.0.12",
            "10.0.0.14",
            "10.1.0.1@eth1",
            "10.1.0.2@eth2"
        ]
    );
    // The two IPv6 entries are rejected as the wrong family.
    assert_eq!(l.diagnostics.len(), 2, "{:?}", msgs(&l));
}

#[test]
fn lexical_edges() {
    let text = "vrrp_instance \"VI Q\" { interface eth0\n virtual_router_id 4 ; ignored words\n\
                authentication { auth_type PASS\n auth_pass \"a!b#c d\" }\n virtual_ipaddress { 10.0.0.1 }\n\
                } vrrp_instance X\n{ interface\teth1 # comment { not a brace\n virtual_router_id 5 ! bang comment\n\
                authentication {\n auth_type PASS\n auth_pass ab\\!c'd!e\n}\n virtual_ipaddress { 10.0.0.2 }\n}\n";
    let l = parse_as(text, "x");
    assert!(l.diagnostics.is_empty(), "{:?}", msgs(&l));
    let [a, b] = l.config.instances.as_slice() else {
        panic!("two instances expected: {:?}", msgs(&l));
    };
    assert_eq!(a.name, "VI Q");
    assert_eq!(a.virtual_router_id, 4);
    assert_eq!(
        a.authentication,
        Some(keepalived_config::Authentication::Pass(*b"a!b#c d\0"))
    );
    assert_eq!(b.name, "X");
    assert_eq!(b.interface.as_deref(), Some("eth1"));
    assert_eq!(
        b.authentication,
        Some(keepalived_config::Authentication::Pass(*b"ab!c'd\0\0"))
    );
}

#[test]
fn word_with_embedded_quote_splits() {
    let text = "vrrp_instance VI {\n interface eth\"0 x\"\n virtual_router_id 4\n virtual_ipaddress { 10.0.0.1 }\n}\n";
    let l = parse_as(text, "x");
    assert_eq!(l.config.instances[0].interface.as_deref(), Some("eth"));
}

#[test]
fn quote_errors_and_long_lines() {
    let long = format!("router_id {}\n", "x".repeat(2000));
    let text = format!("global_defs {{\n router_id \"abc\n{long}}}\n");
    let l = parse_as(&text, "x");
    assert_eq!(
        msgs(&l),
        [
            "k.conf:2:12: error: unterminated quote",
            "k.conf:3:1: error: line too long (2010 bytes, limit 1024) - ignoring",
        ]
    );
    assert_eq!(l.config.global.router_id.as_deref(), Some("abc"));
}

#[test]
fn substitution_past_the_line_limit_is_refused() {
    // 2 × 300 two-byte characters: 1200 bytes once substituted, although
    // only 600 characters (keepalived's limit is on bytes).
    let text = format!(
        "$LONG={}\nglobal_defs {{\n router_id ${{LONG}}${{LONG}}\n}}\n",
        "é".repeat(300)
    );
    let l = parse_as(&text, "x");
    let m = msgs(&l);
    assert!(
        m.iter().any(
            |d| d.starts_with("k.conf:3:2: error: line too long after substitution (1")
                && d.contains("limit 1024")
        ),
        "{m:?}"
    );
    // The line is kept unsubstituted, as keepalived does (its braces then
    // split it, so router_id is just "$").
    assert_eq!(l.config.global.router_id.as_deref(), Some("$"));
}

#[test]
fn pwd_is_the_absolute_directory_of_the_file_being_read() -> R {
    let t = TempDir::new("pwd")?;
    let main = t.write("k.conf", "include sub/a.conf\n")?;
    t.write("sub/a.conf", "global_defs {\n router_id ${_PWD}\n}\n")?;
    let l = load_file(&main, &LoadOptions::default())?;
    let want = t.0.join("sub").canonicalize()?;
    assert_eq!(
        l.config.global.router_id.as_deref(),
        Some(want.to_string_lossy().as_ref())
    );
    Ok(())
}
