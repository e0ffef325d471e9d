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
# productState it reported (Get-EntryLiveness and Set-EntryRunning: checkkit's
# probe_parts/security_center_entry.ps1, run before this). Running services and processes
# are read only when Defender does not protect (the check looks at registered products
# only then).
$defenderActive = $null -ne $defender -and $defender.running_mode -eq 'Normal' -and $defender.service_enabled -eq $true -and $defender.antivirus_enabled -eq $true -and $defender.real_time -eq $true
$products = $null
$productsFailure = $null
try {
    $products = @(Get-CimInstance -Namespace 'root/SecurityCenter2' -ClassName AntiVirusProduct -ErrorAction Stop | ForEach-Object {
        $state = $null
        if ($null -ne $_.productState) { $state = [long]$_.productState }
        $item = Get-EntryLiveness $_
        $item['name'] = [string]$_.displayName
        $item['product_state'] = $state
        $item
    })
    if (-not $defenderActive) { Set-EntryRunning $products }
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
