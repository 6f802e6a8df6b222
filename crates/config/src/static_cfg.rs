//! Root `static_ipaddress`, `static_routes` and `static_rules` blocks
//! (reference §2.8, §2.9): installed at start-up whatever the VRRP state.

use crate::address::{self, AddrBlock};
use crate::diag::Diags;
use crate::model::Config;
use crate::tree::Node;

/// Handle one root static block, appending to what earlier blocks gave
/// (keepalived allows the blocks to be repeated).
pub(crate) fn parse(node: &Node, config: &mut Config, diags: &mut Diags) {
    match node.kw.text.as_str() {
        "static_ipaddress" => {
            for vip in address::parse_block(node, AddrBlock::Static, diags) {
                address::push_unique(&mut config.static_ipaddress, vip, AddrBlock::Static, diags);
            }
        }
        "static_routes" => config
            .static_routes
            .extend(crate::route::parse_block(node, diags)),
        "static_rules" => config
            .static_rules
            .extend(crate::rule::parse_block(node, diags)),
        _ => {}
    }
}
