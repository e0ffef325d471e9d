# The build and edition of Windows, and on Windows 10 any activated Extended Security
# Updates licence. Only numbers and GUIDs are read: Caption is localized and kept as
# evidence only. CIM is not redirected for a 32-bit PowerShell, unlike HKLM\SOFTWARE.
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
$result = @{
    build = [string]$os.BuildNumber
    sku = [int64]$os.OperatingSystemSKU
    product_type = [int64]$os.ProductType
    caption = [string]$os.Caption
    esu = $esu
    esu_error = $esuError
}
