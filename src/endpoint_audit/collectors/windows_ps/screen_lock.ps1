$names = @('ScreenSaveActive', 'ScreenSaverIsSecure', 'ScreenSaveTimeOut', 'SCRNSAVE.EXE')
function Get-EADesktopValues([string]$Path) {
    $out = @{}
    $key = Get-Item -LiteralPath $Path -ErrorAction SilentlyContinue
    if ($null -eq $key) { return $out }
    foreach ($n in $names) {
        $v = $key.GetValue($n, $null)
        if ($null -ne $v) { $out[$n] = [string]$v }
    }
    return $out
}
$system = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System' -ErrorAction SilentlyContinue
$inactivity = $null
if ($null -ne $system -and $null -ne $system.InactivityTimeoutSecs) { $inactivity = [int64]$system.InactivityTimeoutSecs }
$winlogon = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon' -ErrorAction SilentlyContinue
$grace = $null
if ($null -ne $winlogon -and $null -ne $winlogon.ScreenSaverGracePeriod) { $grace = [string]$winlogon.ScreenSaverGracePeriod }
$sessions = @{}
$console = $null
try { $console = [string](Get-CimInstance -ClassName Win32_ComputerSystem).UserName } catch { }
if ($console) {
    try {
        $sid = (New-Object System.Security.Principal.NTAccount($console)).Translate([System.Security.Principal.SecurityIdentifier]).Value
        $sessions[$sid] = @{ user = $console; console = $true }
    } catch { }
}
foreach ($p in @(Get-CimInstance -ClassName Win32_Process -Filter "Name='explorer.exe'" -ErrorAction SilentlyContinue)) {
    try {
        $owner = Invoke-CimMethod -InputObject $p -MethodName GetOwner
        $ownerSid = (Invoke-CimMethod -InputObject $p -MethodName GetOwnerSid).Sid
        if ($ownerSid -and -not $sessions.ContainsKey($ownerSid)) {
            $sessions[$ownerSid] = @{ user = ([string]$owner.Domain + '\' + [string]$owner.User); console = $false }
        }
    } catch { }
}
$users = @()
foreach ($sid in $sessions.Keys) {
    $entry = @{ sid = $sid; user = $sessions[$sid].user; console = $sessions[$sid].console; hive_loaded = $false; read_error = $null; user_values = @{}; policy_values = @{} }
    $root = 'Registry::HKEY_USERS\' + $sid
    try {
        if (Test-Path -LiteralPath $root) {
            $entry.hive_loaded = $true
            $entry.user_values = Get-EADesktopValues ($root + '\Control Panel\Desktop')
            $entry.policy_values = Get-EADesktopValues ($root + '\Software\Policies\Microsoft\Windows\Control Panel\Desktop')
        }
    } catch {
        $entry.read_error = [string]$_.Exception.Message
    }
    $users += $entry
}
$result = @{ inactivity_timeout_secs = $inactivity; grace_period = $grace; users = $users }
