# OS build, pending-restart markers, update policies, installed hotfixes and the Windows
# Update history (the newest __ENTRIES__ entries; filled in by collectors/patches/windows.py).
# Only numbers, registry names and raw date strings are read; update titles stay in the
# display language and are kept as evidence only.
#
# A 32-bit PowerShell on 64-bit Windows (PROCESSOR_ARCHITEW6432 is set) sees a redirected
# HKLM\SOFTWARE, where CurrentVersion and the restart markers are stale or missing. It reads
# the 64-bit view through `reg.exe query ... /reg:64`: a native program, which Constrained
# Language Mode allows (unlike [Microsoft.Win32.RegistryKey]::OpenBaseKey).
$wow64 = [bool]$env:PROCESSOR_ARCHITEW6432
$regExe = Join-Path $env:SystemRoot 'System32\reg.exe'

function Read-EAKey {
    # @{ found; values; subkeys } for an HKLM key (path without the hive) in the 64-bit view.
    # found: $true (read), $false (no such key), $null (could not tell). Only the value
    # names asked for are returned, DWORDs as numbers. Keys under SOFTWARE\Policies are
    # shared by both views (-Shared) and read directly.
    param([string]$Key, [string[]]$Names, [switch]$Shared, [switch]$Subkeys)
    $values = @{}
    $children = @()
    if ($Shared -or -not $wow64) {
        $path = 'HKLM:\' + $Key
        if (-not (Test-Path -LiteralPath $path)) { return @{ found = $false; values = $values; subkeys = $children } }
        try {
            # Listing subkeys needs read access to this key only, not to the subkeys.
            if ($Subkeys) { $children = @(Get-ChildItem -LiteralPath $path -Name -ErrorAction Stop) }
            $item = Get-ItemProperty -LiteralPath $path -ErrorAction Stop
        } catch {
            return @{ found = $null; values = $values; subkeys = @() }
        }
        foreach ($name in $Names) {
            if ($null -ne $item -and $null -ne $item.$name) { $values[$name] = $item.$name }
        }
        return @{ found = $true; values = $values; subkeys = $children }
    }
    if (-not (Test-Path -LiteralPath $regExe)) { return @{ found = $null; values = $values; subkeys = $children } }
    # Exit 0 with "    Name    REG_TYPE    Data" lines and the full paths of the subkeys;
    # any failure (its reason is localized text) leaves the key unknown. Native stderr must
    # not meet 'Stop': Windows PowerShell turns redirected lines into errors.
    $ErrorActionPreference = 'Continue'
    $lines = @(& $regExe query ('HKLM\' + $Key) /reg:64 2>$null)
    if ($LASTEXITCODE -ne 0) { return @{ found = $null; values = $values; subkeys = $children } }
    $prefix = 'HKEY_LOCAL_MACHINE\' + $Key + '\'
    foreach ($line in $lines) {
        $text = [string]$line
        if ($text -like ($prefix + '*')) {
            $children += ($text -replace '^.*\\', '')
        } elseif ($text -match '^\s+(\S+)\s+(REG_[A-Z_]+)\s*(.*)$') {
            $name = $Matches[1]
            $type = $Matches[2]
            $data = $Matches[3].Trim()
            if ($Names -notcontains $name) { continue }
            if ($type -eq 'REG_DWORD' -or $type -eq 'REG_QWORD') { $data = [int64]$data }
            $values[$name] = $data
        }
    }
    return @{ found = $true; values = $values; subkeys = $children }
}

$currentVersion = Read-EAKey 'SOFTWARE\Microsoft\Windows NT\CurrentVersion' @('CurrentBuildNumber', 'UBR', 'DisplayVersion', 'InstallationType')
$cbs = Read-EAKey 'SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing' @() -Subkeys
$wu = Read-EAKey 'SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update' @() -Subkeys
$wuPolicy = Read-EAKey 'SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate' @('WUServer', 'WUStatusServer', 'DeferQualityUpdates', 'DeferQualityUpdatesPeriodInDays', 'PauseQualityUpdatesStartTime', 'TargetReleaseVersion', 'TargetReleaseVersionInfo', 'DoNotConnectToWindowsUpdateInternetLocations', 'SetPolicyDrivenUpdateSourceForQualityUpdates') -Shared
$auPolicy = Read-EAKey 'SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU' @('UseWUServer', 'NoAutoUpdate', 'AUOptions') -Shared
$mdmUpdate = Read-EAKey 'SOFTWARE\Microsoft\PolicyManager\current\device\Update' @('UpdateServiceUrl', 'DeferQualityUpdatesPeriodInDays', 'PauseQualityUpdates', 'PauseQualityUpdatesStartTime')

# HKLM\SYSTEM is not redirected. Installers and antivirus fill this routinely: recorded, and
# not counted as a pending restart.
$renames = $null
$sm = Get-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -Name PendingFileRenameOperations -ErrorAction SilentlyContinue
if ($null -ne $sm) { $renames = @($sm.PendingFileRenameOperations | Where-Object { $_ }).Count } else { $renames = 0 }

# Win32_QuickFixEngineering through CIM, each entry on its own. InstalledOn is read raw:
# Windows PowerShell's own InstalledOn property parses it with the current culture.
$hotfixes = @()
$hotfixError = $null
try {
    foreach ($q in @(Get-CimInstance -ClassName Win32_QuickFixEngineering -ErrorAction Stop)) {
        $entry = @{ id = $null; installed_on = $null; description = $null; error = $null }
        try {
            $entry.id = [string]$q.HotFixID
            $entry.description = [string]$q.Description
            foreach ($property in $q.CimInstanceProperties) {
                if ($property.Name -eq 'InstalledOn') { $entry.installed_on = [string]$property.Value }
            }
        } catch {
            $entry.error = [string]$_.Exception.Message
        }
        $hotfixes += $entry
    }
} catch {
    $hotfixError = [string]$_.Exception.Message
}

# Windows Update history: evidence of what Windows Update did (its KB numbers appear only in
# the localized titles, so it is not counted). COM objects other than three scripting ones
# are refused under Constrained Language Mode, where the rest of this probe still runs.
$history = $null
$historyError = $null
if ($EAFullLanguage) {
    try {
        $session = New-Object -ComObject 'Microsoft.Update.Session'
        $searcher = $session.CreateUpdateSearcher()
        $total = $searcher.GetTotalHistoryCount()
        $take = $total
        if ($take -gt __ENTRIES__) { $take = __ENTRIES__ }
        $entries = @()
        if ($take -gt 0) {
            $entries = @($searcher.QueryHistory(0, $take) | ForEach-Object {
                $categories = @()
                try { $categories = @($_.Categories | ForEach-Object { [string]$_.CategoryID }) } catch { }
                @{
                    date = $_.Date.ToString('yyyy-MM-ddTHH:mm:ssZ', [Globalization.CultureInfo]::InvariantCulture)
                    operation = [int]$_.Operation
                    result_code = [int]$_.ResultCode
                    hresult = [int]$_.HResult
                    title = [string]$_.Title
                    categories = $categories
                }
            })
        }
        $history = @{ total = $total; entries = $entries }
    } catch {
        $historyError = [string]$_.Exception.Message
    }
} else {
    $historyError = 'not read in ' + $EALanguageMode + ': the Windows Update COM API is not allowed'
}

$result = @{
    wow64 = $wow64
    registry_view = $(if ($wow64) { 'reg.exe /reg:64' } else { 'native' })
    current_version = @{ found = $currentVersion.found; values = $currentVersion.values }
    cbs_found = $cbs.found
    cbs_reboot_pending = $(if ($cbs.found) { $cbs.subkeys -contains 'RebootPending' } else { $null })
    wu_found = $wu.found
    wu_reboot_required = $(if ($wu.found) { $wu.subkeys -contains 'RebootRequired' } else { $null })
    pending_file_renames = $renames
    wu_policy = @{ found = $wuPolicy.found; values = $wuPolicy.values }
    au_policy = @{ found = $auPolicy.found; values = $auPolicy.values }
    mdm_update = @{ found = $mdmUpdate.found; values = $mdmUpdate.values }
    hotfixes = $hotfixes
    hotfix_error = $hotfixError
    history = $history
    history_error = $historyError
}
