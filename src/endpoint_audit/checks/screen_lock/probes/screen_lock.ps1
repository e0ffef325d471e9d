# Constrained Language Mode safe (the console user's SID through NTAccount only in
# FullLanguage). Registry views: HKEY_USERS and ...\CurrentVersion\Policies are shared
# between 32-bit and 64-bit processes; Winlogon under HKLM\SOFTWARE is redirected to
# WOW6432Node in a 32-bit process (MicrosoftDocs/win32 WinProg64/shared-registry-keys.md),
# so a 32-bit host reports the grace period as redirected instead of reading the copy.
$names = @('ScreenSaveActive', 'ScreenSaverIsSecure', 'ScreenSaveTimeOut', 'SCRNSAVE.EXE')
function Get-EADesktopValues([string]$Path) {
    $out = @{}
    $key = Get-ItemProperty -LiteralPath $Path -ErrorAction SilentlyContinue
    if ($null -eq $key) { return $out }
    foreach ($n in $names) {
        $v = $key.$n
        if ($null -ne $v) { $out[$n] = [string]$v }
    }
    return $out
}
$wow64 = [bool]$env:PROCESSOR_ARCHITEW6432
$system = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System' -ErrorAction SilentlyContinue
$inactivity = $null
if ($null -ne $system -and $null -ne $system.InactivityTimeoutSecs) { $inactivity = [int64]$system.InactivityTimeoutSecs }
$grace = $null
if (-not $wow64) {
    $winlogon = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon' -ErrorAction SilentlyContinue
    if ($null -ne $winlogon -and $null -ne $winlogon.ScreenSaverGracePeriod) { $grace = [string]$winlogon.ScreenSaverGracePeriod }
}
$sessions = @{}
$console = $null
try { $console = [string](Get-CimInstance -ClassName Win32_ComputerSystem).UserName } catch { }
$consoleFound = $false
if ($EAFullLanguage) {
    if ($console) {
        try {
            $sid = (New-Object System.Security.Principal.NTAccount($console)).Translate([System.Security.Principal.SecurityIdentifier]).Value
            $sessions[$sid] = @{ user = $console; console = $true }
            $consoleFound = $true
        } catch { }
    }
}
foreach ($p in @(Get-CimInstance -ClassName Win32_Process -Filter "Name='explorer.exe'" -ErrorAction SilentlyContinue)) {
    try {
        $owner = Invoke-CimMethod -InputObject $p -MethodName GetOwner
        $ownerSid = (Invoke-CimMethod -InputObject $p -MethodName GetOwnerSid).Sid
        $ownerName = [string]$owner.Domain + '\' + [string]$owner.User
        if ($ownerSid -and -not $sessions.ContainsKey($ownerSid)) {
            # Without NTAccount (CLM) the console user is known by name among the owners.
            $isConsole = [bool]$console -and -not $consoleFound -and $ownerName -eq $console
            if ($isConsole) { $consoleFound = $true }
            $sessions[$ownerSid] = @{ user = $ownerName; console = $isConsole }
        }
    } catch { }
}
$users = @()
if ($console -and -not $consoleFound) {
    $users += @{ sid = $null; user = $console; console = $true; hive_loaded = $false; read_error = 'the SID of the console user could not be found'; user_values = @{}; policy_values = @{} }
}
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
$result = @{ inactivity_timeout_secs = $inactivity; grace_period = $grace; grace_period_redirected = $wow64; users = $users }
