# Secure Boot, the TPM and the 2023 Secure Boot certificate update. Only numbers, invariant
# names and registry values are read (never a localized text): firmware_type is "UEFI"
# or "Legacy" whatever the display language; the registry names are those of KB5068202.
# HKLM\SYSTEM is not redirected for a 32-bit PowerShell, unlike HKLM\SOFTWARE.
$secureBoot = 'HKLM:\SYSTEM\CurrentControlSet\Control\SecureBoot'
function Read-EARegistryKey([string]$Path) {
    # found: the key exists; error: the HRESULT that kept it from being read (access).
    if (-not (Test-Path -Path $Path)) {
        return @{ found = $false; item = $null; error = $null }
    }
    try {
        return @{ found = $true; item = (Get-ItemProperty -Path $Path -ErrorAction Stop); error = $null }
    } catch {
        return @{ found = $true; item = $null; error = [string]$_.Exception.HResult }
    }
}
function Get-EADword($Key, [string]$Name) {
    if ($null -eq $Key.item) { return $null }
    $value = $Key.item.$Name
    if ($null -eq $value) { return $null }
    return [int64]$value
}
$state = Read-EARegistryKey "$secureBoot\State"
$root = Read-EARegistryKey $secureBoot
$servicing = Read-EARegistryKey "$secureBoot\Servicing"
$status = $null
if ($null -ne $servicing.item -and $null -ne $servicing.item.UEFICA2023Status) {
    $status = [string]$servicing.item.UEFICA2023Status
}
$tpm = $null
$tpmError = $null
try {
    # No instance at all means no TPM; reading one needs an administrator token.
    $tpm = @(Get-CimInstance -Namespace 'root\cimv2\Security\MicrosoftTpm' -ClassName Win32_Tpm -ErrorAction Stop |
        ForEach-Object {
            $instance = $_
            # IsReady: fully provisioned for use. A failed call leaves it $null (not read).
            $ready = $null
            try {
                $answer = Invoke-CimMethod -InputObject $instance -MethodName IsReady -ErrorAction Stop
                if ($answer.ReturnValue -eq 0 -and $answer.IsReady -is [bool]) { $ready = $answer.IsReady }
            } catch { }
            @{
                is_enabled = $instance.IsEnabled_InitialValue
                is_activated = $instance.IsActivated_InitialValue
                is_owned = $instance.IsOwned_InitialValue
                spec_version = [string]$instance.SpecVersion
                is_ready = $ready
            }
        })
} catch {
    $tpmError = [string]$_.Exception.HResult
}
$result = @{
    firmware_type = [string]$env:firmware_type
    state_found = $state.found
    state_error = $state.error
    secure_boot_enabled = (Get-EADword $state 'UEFISecureBootEnabled')
    servicing_found = $servicing.found
    servicing_error = $servicing.error
    ca2023_status = $status
    ca2023_error = (Get-EADword $servicing 'UEFICA2023Error')
    ca2023_capable = (Get-EADword $servicing 'WindowsUEFICA2023Capable')
    available_updates = (Get-EADword $root 'AvailableUpdates')
    tpm = $tpm
    tpm_error = $tpmError
}
