"""A small interpreter over Linux netfilter rulesets (`nft -j list ruleset`, `iptables-save`):
which new inbound connections from the network the kernel's rules let through."""
