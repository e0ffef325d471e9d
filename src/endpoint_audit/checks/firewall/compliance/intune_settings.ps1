# firewall as Intune custom compliance settings, from the answers of firewall_profiles.ps1
# and firewall_products.ps1 run together ($EAProbe: @{ profiles; products }; $null when
# they failed). The reading of
# checkkit/windows_firewall.py, never looser: every value that was not seen gives a
# setting the rules never accept. Texts are matched exactly (ASCII blanks around them
# only), as names and codes are what the probe writes.
function ConvertTo-EAFirewallCode($Value) {
    # As the tool reads JSON numbers: a boolean is no number; ASCII digits in a string count.
    if ($null -eq $Value -or $Value -is [bool]) { return $null }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [int16] -or $Value -is [byte] -or $Value -is [uint16] -or $Value -is [uint32]) { return [int64]$Value }
    if ($Value -is [string] -and $Value -cmatch '^[ \t\r\n]*(-?[0-9]{1,9})[ \t\r\n]*\z') { return [int64]$Matches[1] }
    return $null
}
foreach ($EAName in @('Domain', 'Private', 'Public')) {
    $EASettings["Firewall${EAName}Enabled"] = 'Unknown'
    $EASettings["Firewall${EAName}Inbound"] = 'Unknown'
    $EASettings["Firewall${EAName}Interfaces"] = 'Unknown'
}
# Profiles other than the three: Windows has none, so one is taken as not judged here.
$EASettings['FirewallOtherProfiles'] = [int64]-1
# Security Center's answer: one the tool refuses makes the check an error.
$EASettings['FirewallSecurityCenterAnswer'] = 'Unknown'
if ($null -ne $EAProbe) {
    $EASettings['FirewallSecurityCenterAnswer'] = 'Usable'
    if ($EAProbe.ContainsKey('products')) {
        $EACenter = $EAProbe['products']
        if ($EACenter -isnot [hashtable]) {
            $EASettings['FirewallSecurityCenterAnswer'] = 'Malformed'
        } elseif ($null -ne $EACenter['products']) {
            $EABad = @(@($EACenter['products']) | Where-Object { $_ -isnot [hashtable] }).Count
            if ($EABad -gt 0) { $EASettings['FirewallSecurityCenterAnswer'] = 'Malformed' }
        }
    }
    $EAList = $EAProbe['profiles']
    $EAProfiles = @{}
    $EAOther = 0
    $EAMalformed = $false
    foreach ($EAEntry in @($EAList)) {
        if ($EAEntry -isnot [hashtable]) { $EAMalformed = $true; continue }
        $EAFound = $null
        foreach ($EAName in @('Domain', 'Private', 'Public')) {
            if ($EAEntry['name'] -is [string] -and $EAEntry['name'] -cmatch "^[ \t\r\n]*${EAName}[ \t\r\n]*\z") { $EAFound = $EAName }
        }
        if ($null -eq $EAFound) {
            $EAOther += 1
        } elseif ($EAProfiles.ContainsKey($EAFound)) {
            # Listed twice: which answer is in force is not known (windows_firewall.py: unknown).
            $EAMalformed = $true
        } else {
            $EAProfiles[$EAFound] = $EAEntry
        }
    }
    if ($null -ne $EAList -and -not $EAMalformed -and @($EAList).Count -gt 0) {
        $EASettings['FirewallOtherProfiles'] = [int64]$EAOther
        foreach ($EAName in @('Domain', 'Private', 'Public')) {
            if (-not $EAProfiles.ContainsKey($EAName)) { continue }
            $EAEntry = $EAProfiles[$EAName]
            $EAEnabled = ConvertTo-EAFirewallCode $EAEntry['enabled']
            if ($EAEnabled -eq 1) {
                $EASettings["Firewall${EAName}Enabled"] = 'On'
            } elseif ($EAEnabled -eq 0) {
                $EASettings["Firewall${EAName}Enabled"] = 'Off'
            }
            # 0 NotConfigured (the built-in default, Block), 2 Allow, 4 Block.
            $EAInbound = ConvertTo-EAFirewallCode $EAEntry['default_inbound']
            if ($EAInbound -eq 0 -or $EAInbound -eq 4) {
                $EASettings["Firewall${EAName}Inbound"] = 'Block'
            } elseif ($EAInbound -eq 2) {
                $EASettings["Firewall${EAName}Inbound"] = 'Allow'
            }
            # DisabledInterfaceAliases: NotConfigured (or none) filters every interface.
            $EAAliases = $EAEntry['disabled_interface_aliases']
            if ($null -ne $EAAliases) {
                $EAItems = @($EAAliases)
                $EAUnread = @($EAItems | Where-Object { $_ -isnot [string] }).Count
                $EANamed = @($EAItems | Where-Object { -not ($_ -is [string] -and $_ -cmatch '^[ \t\r\n]*NotConfigured[ \t\r\n]*\z') }).Count
                if ($EAUnread -gt 0) {
                    $EASettings["Firewall${EAName}Interfaces"] = 'Unknown'
                } elseif ($EANamed -gt 0) {
                    $EASettings["Firewall${EAName}Interfaces"] = 'Excluded'
                } else {
                    $EASettings["Firewall${EAName}Interfaces"] = 'AllFiltered'
                }
            }
        }
    }
}
