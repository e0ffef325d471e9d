# A value that is missing stays $null: [int]$null is 0, which would read as
# "NotConfigured" (the default, Block) and pass a profile nobody could read.
function ConvertTo-EANumber {
    param($Value)
    if ($null -eq $Value) { return $null }
    return [int]$Value
}
$result = @(Get-NetFirewallProfile -PolicyStore ActiveStore | ForEach-Object {
    $fwProfile = $_
    $aliases = $null
    if ($null -ne $fwProfile.DisabledInterfaceAliases) {
        $aliases = @($fwProfile.DisabledInterfaceAliases | ForEach-Object { [string]$_ })
    }
    @{
        name = [string]$fwProfile.Name
        enabled = ConvertTo-EANumber $fwProfile.Enabled
        enabled_name = [string]$fwProfile.Enabled
        default_inbound = ConvertTo-EANumber $fwProfile.DefaultInboundAction
        default_inbound_name = [string]$fwProfile.DefaultInboundAction
        default_outbound = ConvertTo-EANumber $fwProfile.DefaultOutboundAction
        disabled_interface_aliases = $aliases
    }
})
