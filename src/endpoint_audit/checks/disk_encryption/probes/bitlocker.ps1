$EAIsAdmin = (New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
# A missing value stays $null. Get-BitLockerVolume leaves VolumeStatus and
# EncryptionPercentage $null on a locked volume (BitLocker.psm1 reads the conversion
# status of unlocked volumes only), and [int]$null would be 0 = FullyDecrypted.
function ConvertTo-EANumber {
    param($Value)
    if ($null -eq $Value) { return $null }
    return [int]$Value
}
function ConvertTo-EAPercent {
    param($Value)
    if ($null -eq $Value) { return $null }
    return [double]$Value
}
$fixed = @()
$failures = @()
try {
    $fixed = @(Get-CimInstance -ClassName Win32_LogicalDisk -Filter 'DriveType=3' -ErrorAction Stop | ForEach-Object { [string]$_.DeviceID })
} catch {
    $failures += @{ source = 'Win32_LogicalDisk'; error = [string]$_.Exception.Message; hresult = $_.Exception.HResult }
}
# Fixed volumes without a drive letter that are mounted into a folder (Name is that folder).
# One with no mount point at all is named by its \\?\Volume{GUID}\ path: the system's own
# partitions (recovery, EFI) look like that and hold no user data, so those stay out.
# Get-BitLockerVolume names a volume without a letter by the same DeviceID.
$mounted = $null
try {
    $mounted = @(Get-CimInstance -ClassName Win32_Volume -Filter 'DriveType=3 AND DriveLetter IS NULL' -ErrorAction Stop | Where-Object { $_.Name -and ([string]$_.Name) -notlike '\\?\*' } | ForEach-Object {
        @{ device_id = [string]$_.DeviceID; path = [string]$_.Name }
    })
} catch {
    $failures += @{ source = 'Win32_Volume'; error = [string]$_.Exception.Message; hresult = $_.Exception.HResult }
}
$volumes = @()
$source = $null
if (Get-Command -Name Get-BitLockerVolume -ErrorAction SilentlyContinue) {
    try {
        $volumes = @(Get-BitLockerVolume -ErrorAction Stop | ForEach-Object {
            $statusName = $null
            if ($null -ne $_.VolumeStatus) { $statusName = [string]$_.VolumeStatus }
            @{
                mount = [string]$_.MountPoint
                volume_type = ConvertTo-EANumber $_.VolumeType
                volume_status = ConvertTo-EANumber $_.VolumeStatus
                volume_status_name = $statusName
                protection_status = ConvertTo-EANumber $_.ProtectionStatus
                lock_status = ConvertTo-EANumber $_.LockStatus
                encryption_method = ConvertTo-EANumber $_.EncryptionMethod
                percent = ConvertTo-EAPercent $_.EncryptionPercentage
                protectors = @($_.KeyProtector | ForEach-Object { ConvertTo-EANumber $_.KeyProtectorType })
            }
        })
        $source = 'Get-BitLockerVolume'
    } catch {
        $failures += @{ source = 'Get-BitLockerVolume'; error = [string]$_.Exception.Message; hresult = $_.Exception.HResult }
    }
}
if ($null -eq $source) {
    try {
        $volumes = @(Get-CimInstance -Namespace 'root\cimv2\Security\MicrosoftVolumeEncryption' -ClassName Win32_EncryptableVolume -ErrorAction Stop | ForEach-Object {
            $v = $_
            # Each method reports failure in ReturnValue (a locked volume refuses some);
            # its outputs are then missing, never zero.
            $lock = Invoke-CimMethod -InputObject $v -MethodName GetLockStatus
            $lockStatus = $null
            if ($lock.ReturnValue -eq 0) { $lockStatus = ConvertTo-EANumber $lock.LockStatus }
            $conversion = Invoke-CimMethod -InputObject $v -MethodName GetConversionStatus
            $conversionStatus = $null
            $percent = $null
            if ($conversion.ReturnValue -eq 0) {
                $conversionStatus = ConvertTo-EANumber $conversion.ConversionStatus
                $percent = ConvertTo-EAPercent $conversion.EncryptionPercentage
            }
            $protection = Invoke-CimMethod -InputObject $v -MethodName GetProtectionStatus
            $protectionStatus = $null
            if ($protection.ReturnValue -eq 0) { $protectionStatus = ConvertTo-EANumber $protection.ProtectionStatus }
            $ids = (Invoke-CimMethod -InputObject $v -MethodName GetKeyProtectors -Arguments @{ KeyProtectorType = [uint32]0 }).VolumeKeyProtectorID
            $types = @($ids | Where-Object { $_ } | ForEach-Object {
                ConvertTo-EANumber (Invoke-CimMethod -InputObject $v -MethodName GetKeyProtectorType -Arguments @{ VolumeKeyProtectorID = $_ }).KeyProtectorType
            })
            @{
                mount = [string]$v.DriveLetter
                device_id = [string]$v.DeviceID
                volume_type = ConvertTo-EANumber $v.VolumeType
                volume_status = $conversionStatus
                volume_status_name = $null
                protection_status = $protectionStatus
                lock_status = $lockStatus
                encryption_method = ConvertTo-EANumber $v.EncryptionMethod
                percent = $percent
                protectors = $types
            }
        })
        $source = 'Win32_EncryptableVolume'
    } catch {
        $failures += @{ source = 'Win32_EncryptableVolume'; error = [string]$_.Exception.Message; hresult = $_.Exception.HResult }
    }
}
$result = @{ is_admin = $EAIsAdmin; source = $source; volumes = $volumes; fixed_drives = $fixed; mounted_volumes = $mounted; failures = $failures }
