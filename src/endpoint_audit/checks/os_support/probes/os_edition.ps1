# The build and edition of Windows, on Windows 10 any activated Extended Security Updates
# licence, and the Office products installed (below). Only numbers, GUIDs and registry
# value names and data are read: Caption is localized and kept as evidence only. CIM is
# not redirected for a 32-bit PowerShell, unlike HKLM\SOFTWARE.
$osProperties = @('BuildNumber', 'OperatingSystemSKU', 'ProductType', 'Caption')
$os = Get-CimInstance -ClassName Win32_OperatingSystem -Property $osProperties -ErrorAction Stop
$esu = $null
$esuError = $null
if ([int]$os.BuildNumber -lt 22000) {
    # The ESU licences (Year 1 to 3) by activation ID; LicenseStatus 1 is "licensed".
    $ids = @('f520e45e-7413-4a34-a497-d2765967d094', '1043add5-23b1-4afb-9a0f-64343c8f3f8d', '83d49986-add3-41d7-ba33-87c7bfb5c0fb')
    $filter = ($ids | ForEach-Object { "ID = '$_'" }) -join ' OR '
    try {
        $licenceProperties = @('ID', 'LicenseStatus')
        $esu = @(Get-CimInstance -ClassName SoftwareLicensingProduct -Filter $filter -Property $licenceProperties -ErrorAction Stop |
            ForEach-Object { @{ id = [string]$_.ID; license_status = [int64]$_.LicenseStatus } })
    } catch {
        $esuError = [string]$_.Exception.HResult
    }
}
# Office: the Click-to-Run configuration (HKLM\SOFTWARE\Microsoft\Office\ClickToRun\Configuration)
# and the MSI Office 2016 suites, whose product codes name their Uninstall keys, both from
# the 64-bit registry view: a 32-bit PowerShell would see WOW6432Node instead. Under
# Constrained Language Mode a 32-bit process cannot open that view, and says so.
$office = @{ c2r = $null; msi = @(); error = $null }
$c2rKey = 'SOFTWARE\Microsoft\Office\ClickToRun\Configuration'
$c2rNames = @('VersionToReport', 'ProductReleaseIds', 'CDNBaseUrl', 'UpdateChannel', 'Platform')
$uninstallKeys = @('SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall', 'SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall')
# {90160000-PPPP-0000-B000-0000000FF1CE}: Office 2016 (16), product 0011 Professional Plus
# or 0012 Standard, language-neutral, B 0 for 32-bit and 1 for 64-bit; and any
# language-neutral product of Office 2007, 2010 and 2013 (12, 14, 15), which office.py dates.
$msiPattern = '^\{(90160000-001[12]|[9A-F][0-9A-F]1[245]0000-[0-9A-F]{4})-0000-[01]000-0000000FF1CE\}$'
$wow64 = [bool]$env:PROCESSOR_ARCHITEW6432
try {
    if (-not $wow64) {
        # Not a 32-bit process on 64-bit Windows: the registry provider shows the 64-bit view.
        $path = 'HKLM:\' + $c2rKey
        if (Test-Path -LiteralPath $path) {
            $item = Get-ItemProperty -LiteralPath $path -ErrorAction Stop
            $c2r = @{}
            foreach ($name in $c2rNames) {
                if ($null -ne $item.$name) { $c2r[$name] = [string]$item.$name }
            }
            $office.c2r = $c2r
        }
        foreach ($key in $uninstallKeys) {
            $path = 'HKLM:\' + $key
            if (Test-Path -LiteralPath $path) {
                $found = @(Get-ChildItem -LiteralPath $path -Name -ErrorAction Stop | Where-Object { $_ -match $msiPattern })
                $office.msi = @($office.msi) + $found
            }
        }
    }
    if ($EAFullLanguage) {
        if ($wow64) {
            $hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey(
                [Microsoft.Win32.RegistryHive]::LocalMachine,
                [Microsoft.Win32.RegistryView]::Registry64)
            $config = $hklm.OpenSubKey($c2rKey)
            if ($null -ne $config) {
                $c2r = @{}
                foreach ($name in $c2rNames) {
                    $value = $config.GetValue($name)
                    if ($null -ne $value) { $c2r[$name] = [string]$value }
                }
                $office.c2r = $c2r
            }
            foreach ($key in $uninstallKeys) {
                $uninstall = $hklm.OpenSubKey($key)
                if ($null -ne $uninstall) {
                    $found = @($uninstall.GetSubKeyNames() | Where-Object { $_ -match $msiPattern })
                    $office.msi = @($office.msi) + $found
                }
            }
        }
    } elseif ($wow64) {
        $office.error = 'registry_view'
    }
} catch {
    $office.error = [string]$_.Exception.HResult
}
$result = @{
    build = [string]$os.BuildNumber
    sku = [int64]$os.OperatingSystemSKU
    product_type = [int64]$os.ProductType
    caption = [string]$os.Caption
    esu = $esu
    esu_error = $esuError
    office = $office
}
