//! SIGHUP: re-reading the configuration and deciding which running
//! instances carry on (reference §7.5). The engine side is
//! [`crate::engine::Engine::reload`]; the shell side (interfaces, sockets,
//! tracker tasks) is `run::Shell::reload`.

use keepalived_config::{Config, LoadOptions, Severity, VrrpInstance};
use std::net::IpAddr;
use std::path::PathBuf;
use tracing::{error, info, warn};

/// Where the configuration came from, so that SIGHUP reads it the same way.
#[derive(Debug, Clone)]
pub struct ReloadSource {
    pub path: PathBuf,
    pub options: LoadOptions,
}

impl ReloadSource {
    /// Reads and checks the configuration again. Every diagnostic is
    /// logged; any of severity Error or worse refuses the new configuration
    /// (`None`: the running one stays), as does an unreadable file.
    pub fn load(&self) -> Option<Config> {
        let loaded = match keepalived_config::load_file(&self.path, &self.options) {
            Ok(l) => l,
            Err(e) => {
                error!("reload: {e}; keeping the running configuration");
                return None;
            }
        };
        for d in &loaded.diagnostics {
            match d.severity {
                Severity::Warning => warn!("reload: {d}"),
                Severity::Error | Severity::Security | Severity::Fatal => error!("reload: {d}"),
            }
        }
        if loaded.worst() >= Some(Severity::Error) {
            error!(
                "reload: {} has errors; keeping the running configuration",
                self.path.display()
            );
            return None;
        }
        info!("reload: {} read", self.path.display());
        Some(loaded.config)
    }
}

/// What identifies "the same instance" across a reload, as keepalived's
/// `vrrp_exist()` does: VRID, address family, configured interface and
/// unicast or multicast; then the source address (unicast) or the VMAC
/// settings and multicast group (multicast). The name is not part of it:
/// a renamed instance keeps its state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceKey {
    vrid: u8,
    v6: bool,
    interface: Option<String>,
    unicast: bool,
    unicast_src: Option<IpAddr>,
    vmac: Option<(Option<String>, Option<[u8; 6]>)>,
    vmac_xmit_base: bool,
    mcast_group: Option<IpAddr>,
}

impl InstanceKey {
    pub fn of(inst: &VrrpInstance, v6: bool) -> Self {
        let unicast = !inst.unicast_peers.is_empty();
        InstanceKey {
            vrid: inst.virtual_router_id,
            v6,
            interface: inst.interface.clone(),
            unicast,
            unicast_src: if unicast {
                inst.unicast_src_ip.or(inst.opts.mcast_src_ip)
            } else {
                None
            },
            vmac: if unicast {
                None
            } else {
                inst.opts.use_vmac.as_ref().map(|v| (v.name.clone(), v.mac))
            },
            vmac_xmit_base: !unicast && inst.opts.vmac_xmit_base,
            mcast_group: if unicast {
                None
            } else {
                inst.opts.mcast_dst_ip
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Config {
        let loaded = keepalived_config::parse_str(
            text,
            std::path::Path::new("test.conf"),
            &LoadOptions::default(),
        );
        loaded.config
    }

    fn instance(body: &str) -> String {
        format!(
            "vrrp_instance {} {{\n interface eth0\n virtual_router_id 51\n priority 100\n{body}\n virtual_ipaddress {{\n  192.0.2.100/24\n }}\n}}\n",
            if body.contains("rename") { "OTHER" } else { "VI_1" }
        )
    }

    fn key(body: &str) -> InstanceKey {
        let c = parse(&instance(body));
        let inst = c.instances.first().expect("one instance");
        InstanceKey::of(inst, false)
    }

    #[test]
    fn settings_and_name_do_not_change_the_key() {
        let base = key("");
        assert_eq!(key(" advert_int 2\n nopreempt"), base);
        assert_eq!(key(" ! rename"), base);
    }

    #[test]
    fn mode_and_identity_change_the_key() {
        let base = key("");
        assert_ne!(key(" unicast_peer {\n  192.0.2.2\n }"), base);
        assert_ne!(key(" use_vmac"), base);
        let c = parse(&instance("").replace("virtual_router_id 51", "virtual_router_id 52"));
        assert_ne!(InstanceKey::of(&c.instances[0], false), base);
        let c = parse(&instance("").replace("interface eth0", "interface eth1"));
        assert_ne!(InstanceKey::of(&c.instances[0], false), base);
    }

    #[test]
    fn a_broken_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("krs-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("keepalived.conf");
        let src = ReloadSource {
            path: path.clone(),
            options: LoadOptions::default(),
        };
        std::fs::write(&path, instance("")).expect("write");
        assert!(src.load().is_some());
        std::fs::write(&path, instance(" no_such_keyword 1")).expect("write");
        assert!(src.load().is_none(), "an unknown keyword is an error");
        std::fs::remove_file(&path).expect("rm");
        assert!(src.load().is_none(), "a missing file keeps the old config");
        let _ = std::fs::remove_dir(&dir);
    }
}
