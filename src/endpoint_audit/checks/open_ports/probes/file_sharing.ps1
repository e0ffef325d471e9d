# What the network can reach of file sharing (SMB 445/tcp, NetBIOS 137-139): the active
# firewall profiles, the enabled inbound rules whose ports could cover those ports (with
# their program, package, service and remote address conditions), and the shares.
# Every list is read from the active store in one call and joined by InstanceID: asking
# per rule is slow on PCs with hundreds of app rules. Rules are never looked up by their
# display group, which is localized; the collector decides which rules apply.
function ConvertTo-EANumber {
    param($Value)
    if ($null -eq $Value) { return $null }
    return [long]$Value
}
function Get-EAFailure {
    param($ErrorRecord)
    return @{ error = [string]$ErrorRecord.Exception.Message; category = [string]$ErrorRecord.CategoryInfo.Category }
}

$active = $null
$activeFailure = $null
try {
    $active = ConvertTo-EANumber (Get-NetFirewallSetting -PolicyStore ActiveStore -ErrorAction Stop).ActiveProfile
} catch { $activeFailure = Get-EAFailure $_ }

$connections = $null
$connectionsFailure = $null
try {
    $connections = @(Get-NetConnectionProfile -ErrorAction Stop | ForEach-Object {
        @{ alias = [string]$_.InterfaceAlias; category = ConvertTo-EANumber $_.NetworkCategory }
    })
} catch {
    # No connected network is "no object found", not a failure.
    if ([string]$_.CategoryInfo.Category -eq 'ObjectNotFound') { $connections = @() } else { $connectionsFailure = Get-EAFailure $_ }
}

$rules = $null
$rulesFailure = $null
try {
    $wanted = @('Any', '137', '138', '139', '445')
    $ports = @{}
    foreach ($filter in @(Get-NetFirewallPortFilter -PolicyStore ActiveStore -ErrorAction Stop)) {
        $local = @($filter.LocalPort | ForEach-Object { [string]$_ })
        $keep = $false
        foreach ($port in $local) {
            if ($wanted -contains $port -or $port -match '^[0-9]+-[0-9]+$') { $keep = $true }
        }
        if ($keep) { $ports[[string]$filter.InstanceID] = @{ protocol = [string]$filter.Protocol; local_ports = $local } }
    }
    $apps = @{}
    foreach ($filter in @(Get-NetFirewallApplicationFilter -PolicyStore ActiveStore -ErrorAction Stop)) {
        $id = [string]$filter.InstanceID
        if ($null -ne $ports[$id]) { $apps[$id] = @{ program = [string]$filter.Program; package = [string]$filter.Package } }
    }
    $services = @{}
    foreach ($filter in @(Get-NetFirewallServiceFilter -PolicyStore ActiveStore -ErrorAction Stop)) {
        $id = [string]$filter.InstanceID
        if ($null -ne $ports[$id]) { $services[$id] = [string]$filter.Service }
    }
    $addresses = @{}
    foreach ($filter in @(Get-NetFirewallAddressFilter -PolicyStore ActiveStore -ErrorAction Stop)) {
        $id = [string]$filter.InstanceID
        if ($null -ne $ports[$id]) { $addresses[$id] = @($filter.RemoteAddress | ForEach-Object { [string]$_ }) }
    }
    $rules = @()
    try {
        $rules = @(Get-NetFirewallRule -PolicyStore ActiveStore -Direction Inbound -Enabled True -ErrorAction Stop | ForEach-Object {
            $id = [string]$_.InstanceID
            if ($null -ne $ports[$id]) {
                $app = $apps[$id]
                @{
                    name = [string]$_.Name
                    display_name = [string]$_.DisplayName
                    group = [string]$_.Group
                    action = ConvertTo-EANumber $_.Action
                    profile = ConvertTo-EANumber $_.Profile
                    protocol = $ports[$id].protocol
                    local_ports = $ports[$id].local_ports
                    program = $(if ($null -ne $app) { $app.program } else { $null })
                    package = $(if ($null -ne $app) { $app.package } else { $null })
                    service = $services[$id]
                    remote_addresses = $addresses[$id]
                }
            }
        })
    } catch {
        # No enabled inbound rule at all.
        if ([string]$_.CategoryInfo.Category -ne 'ObjectNotFound') { throw }
    }
} catch { $rules = $null; $rulesFailure = Get-EAFailure $_ }

$shares = $null
$sharesFailure = $null
try {
    $shares = @(Get-CimInstance -ClassName Win32_Share -ErrorAction Stop | ForEach-Object {
        @{ name = [string]$_.Name; type = ConvertTo-EANumber $_.Type }
    })
} catch { $sharesFailure = Get-EAFailure $_ }

$result = @{
    active_profiles = $active
    active_profiles_failure = $activeFailure
    connections = $connections
    connections_failure = $connectionsFailure
    rules = $rules
    rules_failure = $rulesFailure
    shares = $shares
    shares_failure = $sharesFailure
}
