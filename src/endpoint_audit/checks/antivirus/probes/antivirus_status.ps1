# Microsoft Defender Antivirus (MSFT_MpComputerStatus), the antivirus products registered
# with Windows Security Center (root/SecurityCenter2, client editions only) and the
# Defender for Endpoint onboarding state. Booleans and numbers only; dates become ISO 8601
# with their UTC offset here, never text in the PC's regional format. displayName is
# evidence, not judged.
function Get-IsoDate($value) {
    if ($null -eq $value) { return $null }
    # Round-trip format: culture-invariant, with the UTC offset of the PC's zone.
    return Get-Date -Date $value -Format 'o'
}
$installation = $null
try {
    $installation = [string](Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' -Name InstallationType -ErrorAction Stop).InstallationType
} catch { }
$defender = $null
$defenderFailure = $null
try {
    $status = Get-MpComputerStatus -ErrorAction Stop
    $defender = @{
        running_mode = [string]$status.AMRunningMode
        service_enabled = $status.AMServiceEnabled
        antivirus_enabled = $status.AntivirusEnabled
        real_time = $status.RealTimeProtectionEnabled
        signature_age_days = $status.AntivirusSignatureAge
        signature_updated = Get-IsoDate $status.AntivirusSignatureLastUpdated
        signature_version = [string]$status.AntivirusSignatureVersion
        signatures_out_of_date = $status.DefenderSignaturesOutOfDate
        tamper_protected = $status.IsTamperProtected
    }
} catch {
    $defenderFailure = @{ error = [string]$_.Exception.Message; hresult = $_.Exception.HResult }
}
# Security Center keeps the entry of a product that was uninstalled or broke, with the last
# productState it reported: whether its programs are on disk and its reporting program
# runs is the evidence that it is alive.
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
# The images of running services and processes, read once and only when Defender does
# not protect (the check looks at registered products only then). Keys compare in any case.
$runningImages = $null
$defenderActive = $null -ne $defender -and $defender.running_mode -eq 'Normal' -and $defender.service_enabled -eq $true -and $defender.antivirus_enabled -eq $true -and $defender.real_time -eq $true
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
$products = $null
$productsFailure = $null
try {
    $products = @(Get-CimInstance -Namespace 'root/SecurityCenter2' -ClassName AntiVirusProduct -ErrorAction Stop | ForEach-Object {
        $state = $null
        if ($null -ne $_.productState) { $state = [long]$_.productState }
        # timestamp: an RFC 1123 text ('Wed, 15 Dec 2021 12:40:10 GMT'), the same in
        # every display language; sent as ISO 8601 UTC, or $null when not in that form.
        $stamp = $null
        try {
            if ($_.timestamp) {
                $stamp = [datetime]::ParseExact([string]$_.timestamp, 'r', [cultureinfo]::InvariantCulture).ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", [cultureinfo]::InvariantCulture)
            }
        } catch { }
        $reporting = Resolve-ProductPath $_.pathToSignedReportingExe
        $reportingExists = Test-ProductFile $reporting
        $running = $null
        if ($reportingExists -eq $true -and -not $defenderActive) {
            if ($null -eq $runningImages) { $runningImages = Get-RunningImages }
            if ($null -ne $runningImages) { $running = $runningImages.ContainsKey($reporting) }
        }
        @{
            name = [string]$_.displayName
            product_state = $state
            timestamp = $stamp
            reporting_exe = $reporting
            product_exe_exists = Test-ProductFile (Resolve-ProductPath $_.pathToSignedProductExe)
            reporting_exe_exists = $reportingExists
            reporting_running = $running
        }
    })
} catch {
    $productsFailure = @{ error = [string]$_.Exception.Message; hresult = $_.Exception.HResult }
}
# OnboardingState 1: onboarded to Defender for Endpoint. An absent key is reported as
# such (a 32-bit PowerShell reads the WOW6432Node copy, where it may be absent).
$atpKey = 'HKLM:\SOFTWARE\Microsoft\Windows Advanced Threat Protection\Status'
$onboarding = $null
$onboardingKey = $false
try {
    if (Test-Path -LiteralPath $atpKey) {
        $onboardingKey = $true
        $atp = Get-ItemProperty -LiteralPath $atpKey -ErrorAction Stop
        if ($null -ne $atp.OnboardingState) { $onboarding = [long]$atp.OnboardingState }
    }
} catch { $onboardingKey = $null }
$result = @{
    installation_type = $installation
    defender = $defender
    defender_failure = $defenderFailure
    products = $products
    products_failure = $productsFailure
    edr_onboarding_state = $onboarding
    edr_onboarding_key = $onboardingKey
}
