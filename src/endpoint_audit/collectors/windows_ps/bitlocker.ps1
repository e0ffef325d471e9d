$EAIsAdmin = (New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$fixed = @()
try {
    $fixed = @(Get-CimInstance -ClassName Win32_LogicalDisk -Filter 'DriveType=3' | ForEach-Object { [string]$_.DeviceID })
} catch { }
$volumes = @()
$source = $null
$failures = @()
if (Get-Command -Name Get-BitLockerVolume -ErrorAction SilentlyContinue) {
    try {
        $volumes = @(Get-BitLockerVolume -ErrorAction Stop | ForEach-Object {
            @{
                mount = [string]$_.MountPoint
                volume_type = [int]$_.VolumeType
                volume_status = [int]$_.VolumeStatus
                protection_status = [int]$_.ProtectionStatus
                lock_status = [int]$_.LockStatus
                encryption_method = [int]$_.EncryptionMethod
                percent = [double]$_.EncryptionPercentage
                protectors = @($_.KeyProtector | ForEach-Object { [int]$_.KeyProtectorType })
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
            $conversion = Invoke-CimMethod -InputObject $v -MethodName GetConversionStatus
            $ids = (Invoke-CimMethod -InputObject $v -MethodName GetKeyProtectors -Arguments @{ KeyProtectorType = [uint32]0 }).VolumeKeyProtectorID
            $types = @($ids | Where-Object { $_ } | ForEach-Object {
                [int](Invoke-CimMethod -InputObject $v -MethodName GetKeyProtectorType -Arguments @{ VolumeKeyProtectorID = $_ }).KeyProtectorType
            })
            @{
                mount = [string]$v.DriveLetter
                volume_type = [int]$v.VolumeType
                volume_status = [int]$conversion.ConversionStatus
                protection_status = [int]$v.ProtectionStatus
                lock_status = $null
                encryption_method = [int]$v.EncryptionMethod
                percent = [double]$conversion.EncryptionPercentage
                protectors = $types
            }
        })
        $source = 'Win32_EncryptableVolume'
    } catch {
        $failures += @{ source = 'Win32_EncryptableVolume'; error = [string]$_.Exception.Message; hresult = $_.Exception.HResult }
    }
}
$result = @{ is_admin = $EAIsAdmin; source = $source; volumes = $volumes; fixed_drives = $fixed; failures = $failures }
