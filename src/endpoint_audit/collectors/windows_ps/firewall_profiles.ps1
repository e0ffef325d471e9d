$result = @(Get-NetFirewallProfile -PolicyStore ActiveStore | ForEach-Object {
    @{
        name = [string]$_.Name
        enabled = [int]$_.Enabled
        enabled_name = [string]$_.Enabled
        default_inbound = [int]$_.DefaultInboundAction
        default_inbound_name = [string]$_.DefaultInboundAction
        default_outbound = [int]$_.DefaultOutboundAction
    }
})
