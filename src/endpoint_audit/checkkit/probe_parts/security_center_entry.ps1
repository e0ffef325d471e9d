# Whether a product registered with Windows Security Center (root/SecurityCenter2) is
# alive. Security Center keeps the entry of a product that was uninstalled or broke, with
# the last productState it reported: whether its programs are on disk and its reporting
# program runs is the evidence. Prepended to the probes that read those entries.
function Resolve-ProductPath($value) {
    # A file path as Security Center holds it, a leading %VARIABLE% expanded; $null for
    # what is no file path (Defender's 'windowsdefender://') or does not expand.
    $path = [string]$value
    if ($path -match '^%([A-Za-z0-9_()]+)%(\\.*)$') {
        $name = $Matches[1]
        $rest = $Matches[2]
        # A 32-bit PowerShell's ProgramFiles is the x86 folder; ProgramW6432 is not.
        if ($name -eq 'ProgramFiles' -and $env:ProgramW6432) { $name = 'ProgramW6432' }
        $variable = Get-Item -LiteralPath ('Env:' + $name) -ErrorAction SilentlyContinue
        if ($null -eq $variable) { return $null }
        $path = [string]$variable.Value + $rest
    }
    if ($path -notmatch '^[A-Za-z]:\\' -or $path -match '%') { return $null }
    return $path
}
function Test-ProductFile($path) {
    if ($null -eq $path) { return $null }
    try { return [bool](Test-Path -LiteralPath $path -PathType Leaf -ErrorAction Stop) } catch { return $null }
}
# The images of running services and processes; $null when they could not be read.
# Keys compare in any case.
function Get-RunningImages {
    $images = @{}
    try {
        foreach ($service in @(Get-CimInstance -ClassName Win32_Service -Filter "State = 'Running'" -ErrorAction Stop)) {
            $image = ([string]$service.PathName).Trim()
            if ($image -match '^"([^"]+)"') { $image = $Matches[1] } elseif ($image -match '^(.+?\.exe)(\s|$)') { $image = $Matches[1] }
            if ($image) { $images[$image] = $true }
        }
        foreach ($process in @(Get-CimInstance -ClassName Win32_Process -ErrorAction Stop)) {
            if ($process.ExecutablePath) { $images[[string]$process.ExecutablePath] = $true }
        }
    } catch { return $null }
    return $images
}
# One entry's evidence; reporting_running stays $null until Set-EntryRunning looks.
function Get-EntryLiveness($entry) {
    # timestamp: an RFC 1123 text ('Wed, 15 Dec 2021 12:40:10 GMT'), the same in every
    # display language; sent as ISO 8601 UTC (the collector checks the date), or $null
    # when not in that form. Read with a pattern: no .NET call, as Constrained Language
    # Mode and the firewall probes' cmdlets-only rule want.
    $months = @{ Jan = 1; Feb = 2; Mar = 3; Apr = 4; May = 5; Jun = 6; Jul = 7; Aug = 8; Sep = 9; Oct = 10; Nov = 11; Dec = 12 }
    $stamp = $null
    if ([string]$entry.timestamp -cmatch '^[A-Z][a-z]{2}, ([0-9]{1,2}) ([A-Z][a-z]{2}) ([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT$' -and $months.ContainsKey($Matches[2])) {
        $stamp = '{0}-{1:D2}-{2:D2}T{3}:{4}:{5}Z' -f $Matches[3], $months[$Matches[2]], [int]$Matches[1], $Matches[4], $Matches[5], $Matches[6]
    }
    $reporting = Resolve-ProductPath $entry.pathToSignedReportingExe
    return @{
        timestamp = $stamp
        reporting_exe = $reporting
        product_exe_exists = Test-ProductFile (Resolve-ProductPath $entry.pathToSignedProductExe)
        reporting_exe_exists = Test-ProductFile $reporting
        reporting_running = $null
    }
}
# Whether a running service or process runs each entry's reporting program (for those on
# disk); the services and processes are read once, and only when an entry needs them.
function Set-EntryRunning($entries) {
    $images = $null
    foreach ($item in @($entries)) {
        if ($item -isnot [hashtable] -or $item['reporting_exe_exists'] -ne $true) { continue }
        if ($null -eq $images) {
            $images = Get-RunningImages
            if ($null -eq $images) { return }
        }
        $item['reporting_running'] = $images.ContainsKey([string]$item['reporting_exe'])
    }
}
