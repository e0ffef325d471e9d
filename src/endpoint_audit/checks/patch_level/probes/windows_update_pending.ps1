# Pending updates, from the list of the last automatic scan (Online = false: no network),
# in a runspace that gives up after __SECONDS__ s (filled in by collectors/patches/windows.py).
$lastSearch = $null
try {
    $auto = New-Object -ComObject 'Microsoft.Update.AutoUpdate'
    $lastSearch = $auto.Results.LastSearchSuccessDate.ToString('yyyy-MM-ddTHH:mm:ssZ', [Globalization.CultureInfo]::InvariantCulture)
} catch { }
$search = Invoke-EABounded -Seconds __SECONDS__ -Block {
    # A runspace of its own: without Stop a failed COM call would only skip a statement.
    $ErrorActionPreference = 'Stop'
    $session = New-Object -ComObject 'Microsoft.Update.Session'
    $searcher = $session.CreateUpdateSearcher()
    $searcher.Online = $false
    # No IsHidden term: an update a user hid (wushowhide) is still not installed.
    $found = $searcher.Search("IsInstalled=0 and Type='Software'")
    $updates = @()
    foreach ($u in $found.Updates) {
        $updates += @{
            title = [string]$u.Title
            kb = @($u.KBArticleIDs | ForEach-Object { [string]$_ })
            msrc_severity = [string]$u.MsrcSeverity
            categories = @($u.Categories | ForEach-Object { [string]$_.CategoryID })
        }
    }
    @{ result_code = [int]$found.ResultCode; updates = $updates }
}
$result = @{ search = $search; last_search_success = $lastSearch }
