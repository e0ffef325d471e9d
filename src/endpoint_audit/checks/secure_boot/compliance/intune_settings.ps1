# secure_boot as Intune custom compliance settings, from the answer of secure_boot.ps1
# ($EAProbe; $null when it failed). The same reading as windows.py and check.py: every
# value that was not seen gives a setting the rules never accept.
function ConvertTo-EAInteger($Value) {
    # As the tool reads JSON numbers: a boolean is no number; digits in a string count.
    if ($null -eq $Value -or $Value -is [bool]) { return $null }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [uint32] -or $Value -is [int16] -or $Value -is [byte]) { return [int64]$Value }
    if ($Value -is [string] -and $Value -match '^\s*-?[0-9]+\s*$') { return [int64]$Value }
    return $null
}
$EASettings['SecureBootState'] = 'Unknown'
$EASettings['TpmSpecVersion'] = [int64]-1
$EASettings['TpmReady'] = 'Unknown'
$EASettings['SecureBootCa2023'] = 'Unknown'
if ($null -ne $EAProbe) {
    $EAFirmware = ([string]$EAProbe['firmware_type']).Trim()
    $EAEnabled = ConvertTo-EAInteger $EAProbe['secure_boot_enabled']
    if ($EAFirmware -eq 'legacy') {
        $EASettings['SecureBootState'] = 'Legacy'
    } elseif ($EAEnabled -eq 1 -and $EAFirmware -eq 'uefi') {
        # On needs the firmware seen as UEFI: a legacy BIOS start is never on.
        $EASettings['SecureBootState'] = 'On'
    } elseif ($EAEnabled -eq 0) {
        $EASettings['SecureBootState'] = 'Off'
    }
    if ($null -eq $EAProbe['tpm_error'] -and $EAProbe.ContainsKey('tpm')) {
        $EATpm = @($EAProbe['tpm'] | Where-Object { $null -ne $_ })
        if ($EATpm.Count -eq 0) {
            $EASettings['TpmSpecVersion'] = [int64]0
            $EASettings['TpmReady'] = 'NoTpm'
        } elseif ($EATpm.Count -eq 1) {
            # Several instances of the one TPM are no answer: the settings stay Unknown.
            $EAEntry = $EATpm[0]
            # Only a text counts as the version, as the tool reads it (SpecVersion is one).
            $EASpec = ''
            if ($EAEntry['spec_version'] -is [string]) { $EASpec = $EAEntry['spec_version'].Split(',')[0] }
            if ($EASpec -match '^\s*([0-9]+)') {
                $EASettings['TpmSpecVersion'] = [int64]$Matches[1]
                $EAFlags = @($EAEntry['is_enabled'], $EAEntry['is_activated'], $EAEntry['is_owned'])
                $EAOff = @($EAFlags | Where-Object { $_ -is [bool] -and -not $_ }).Count
                # IsReady counts only when read false (windows.py, check.py).
                if ($EAEntry['is_ready'] -is [bool] -and -not $EAEntry['is_ready']) { $EAOff += 1 }
                $EAMissing = @($EAFlags | Where-Object { -not ($_ -is [bool]) }).Count
                if ($EAOff -gt 0) {
                    $EASettings['TpmReady'] = 'NotReady'
                } elseif ($EAMissing -eq 0) {
                    # Every Win32_Tpm state read and on; any unread leaves it Unknown.
                    $EASettings['TpmReady'] = 'Ready'
                }
            }
        }
    }
    if ($EAFirmware -eq 'legacy') {
        $EASettings['SecureBootCa2023'] = 'NotApplicable'
    } elseif ($null -eq $EAProbe['servicing_error']) {
        $EAError = ConvertTo-EAInteger $EAProbe['ca2023_error']
        $EAStatus = ([string]$EAProbe['ca2023_status']).Trim()
        if ($null -ne $EAError -and $EAError -ne 0) {
            $EASettings['SecureBootCa2023'] = 'Error'
        } elseif ($EAStatus -ceq 'Updated' -or $EAStatus -ceq 'NotStarted' -or $EAStatus -ceq 'InProgress') {
            $EASettings['SecureBootCa2023'] = $EAStatus
        } elseif ($EAStatus -eq '') {
            $EASettings['SecureBootCa2023'] = 'Missing'
        } else {
            $EASettings['SecureBootCa2023'] = 'Unrecognised'
        }
    }
}
