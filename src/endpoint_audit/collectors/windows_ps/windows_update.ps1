# OS build, pending-reboot markers, Windows Update history (the newest __ENTRIES__ entries,
# filled in by collectors/patches/windows.py) and installed hotfixes. Dates are printed as
# invariant ISO 8601; titles stay in the display language and serve as evidence only.
$cv = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
$markers = @()
if (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending') { $markers += 'CBS\RebootPending' }
if (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired') { $markers += 'WindowsUpdate\Auto Update\RebootRequired' }
$sm = Get-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -Name PendingFileRenameOperations -ErrorAction SilentlyContinue
if ($null -ne $sm -and @($sm.PendingFileRenameOperations | Where-Object { $_ }).Count -gt 0) { $markers += 'Session Manager\PendingFileRenameOperations' }
$au = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU' -ErrorAction SilentlyContinue
$history = $null
$historyError = $null
try {
    $session = New-Object -ComObject 'Microsoft.Update.Session'
    $searcher = $session.CreateUpdateSearcher()
    $total = $searcher.GetTotalHistoryCount()
    $take = [Math]::Min($total, __ENTRIES__)
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
$hotfixes = @()
$hotfixError = $null
try {
    $hotfixes = @(Get-HotFix | Where-Object { $null -ne $_.InstalledOn } | ForEach-Object {
        @{ id = [string]$_.HotFixID; installed_on = $_.InstalledOn.ToString('yyyy-MM-dd', [Globalization.CultureInfo]::InvariantCulture) }
    })
} catch {
    $hotfixError = [string]$_.Exception.Message
}
$result = @{
    current_build = [string]$cv.CurrentBuildNumber
    ubr = $cv.UBR
    display_version = [string]$cv.DisplayVersion
    reboot_markers = $markers
    no_auto_update = $(if ($null -ne $au) { $au.NoAutoUpdate } else { $null })
    au_options = $(if ($null -ne $au) { $au.AUOptions } else { $null })
    history = $history
    history_error = $historyError
    hotfixes = $hotfixes
    hotfix_error = $hotfixError
}
