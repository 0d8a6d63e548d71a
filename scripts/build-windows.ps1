# 在 Windows 10/11 上做桌面版：建立 .venv，安装依赖和 PyInstaller，按 build.spec 打包，再运行打包结果的自检。
#     powershell -NoProfile -ExecutionPolicy Bypass -File scripts\build-windows.ps1     → dist\FupinDesktop\
# scripts\build-windows.bat does the same (and can be double-clicked): Windows refuses to run .ps1 files by default,
# and -ExecutionPolicy Bypass lifts that for this one run without changing the machine's policy.
# This file is UTF-8 with a BOM on purpose: Windows PowerShell 5.1 reads a file without one in the ANSI code page
# (GBK on a Chinese Windows) and the messages below would come out garbled.
[CmdletBinding()]
param(
    # Only pack (the venv is up to date): skips pip.
    [switch]$NoInstall,
    # Do not run fupin.exe --self-test on the result.
    [switch]$NoSelfTest
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = Split-Path -Parent $PSScriptRoot
Set-Location -LiteralPath $Root
$Venv = Join-Path $Root '.venv'
$VenvPython = Join-Path $Venv 'Scripts\python.exe'
$Dist = Join-Path $Root 'dist\FupinDesktop'

function Say([string]$Text) { Write-Host "[fupin] $Text" }
function Fail([string]$Text) {
    Write-Host "[fupin] 错误：$Text" -ForegroundColor Red
    exit 1
}

# A native program's non-zero exit does not stop a script in Windows PowerShell 5.1; every step checks it.
function Invoke-Step([string]$What, [scriptblock]$Command) {
    & $Command
    if ($LASTEXITCODE -ne 0) { Fail "$What 失败（退出码 $LASTEXITCODE）。" }
}

# Python 3.11 or newer, 64-bit: sqlcipher3 (0.6.2 and later) and PySide6 ship win_amd64 wheels only. The py launcher
# of the python.org installer first; then python on PATH, which may be the Microsoft Store's stub that only opens the
# Store (it fails this check). No double quotes in the code: Windows PowerShell 5.1 drops them from native arguments.
$Check = 'import sys; sys.exit(0 if sys.version_info >= (3, 11) and sys.maxsize > 2**32 else 1)'
function Find-Python {
    $candidates = @()
    if (Get-Command py -ErrorAction SilentlyContinue) {
        foreach ($v in '-3.13', '-3.12', '-3.11') { $candidates += , @('py', $v) }
    }
    if (Get-Command python -ErrorAction SilentlyContinue) { $candidates += , @('python') }
    # Windows PowerShell 5.1 turns a native program's stderr into errors when it is redirected; with 'Stop' the
    # first warning would end the script instead of moving on to the next candidate.
    $ErrorActionPreference = 'Continue'
    foreach ($c in $candidates) {
        $exe = $c[0]
        $rest = @($c | Select-Object -Skip 1)
        & $exe @rest -c $Check 2>$null | Out-Null
        if ($LASTEXITCODE -eq 0) { return , $c }
    }
    Fail '需要 64 位的 Python 3.11 或更新版本：从 python.org 下载安装（勾选 “Add python.exe to PATH”），再运行本脚本。'
}

if (-not (Test-Path -LiteralPath $VenvPython)) {
    $python = Find-Python
    $exe = $python[0]
    $rest = @($python | Select-Object -Skip 1)
    Say "建立 Python 虚拟环境 $Venv"
    Invoke-Step '建立虚拟环境' { & $exe @rest -m venv $Venv }
}

# The same stamp as scripts/bootstrap.sh: install again only when pyproject.toml changed.
$Stamp = Join-Path $Venv ('.installed-' + (Get-FileHash -Algorithm SHA1 -LiteralPath (Join-Path $Root 'pyproject.toml')).Hash.Substring(0, 12).ToLower())
if (-not $NoInstall -and -not (Test-Path -LiteralPath $Stamp)) {
    Say '安装 Python 依赖和 PyInstaller（第一次需要几分钟，需要能访问 PyPI）'
    Invoke-Step '升级 pip' { & $VenvPython -m pip install -q --upgrade pip }
    # The test extra carries PyInstaller (pyproject.toml is the one place its version is named) and lets the
    # tests run on this machine too.
    Invoke-Step '安装依赖' { & $VenvPython -m pip install -q -e '.[test]' }
    Get-ChildItem -LiteralPath $Venv -Filter '.installed-*' -Force | Remove-Item -Force
    New-Item -ItemType File -Path $Stamp | Out-Null
}

Say '打包（build.spec，几分钟）'
Invoke-Step 'PyInstaller 打包' { & $VenvPython -m PyInstaller build.spec --noconfirm }
foreach ($name in 'FupinDesktop.exe', 'fupin.exe') {
    if (-not (Test-Path -LiteralPath (Join-Path $Dist $name))) { Fail "打包结果里没有 $name。" }
}

if (-not $NoSelfTest) {
    Say '运行打包结果的自检（fupin.exe --self-test）'
    Invoke-Step '自检' { & (Join-Path $Dist 'fupin.exe') --self-test }
}

Say "完成：$Dist"
Say '把整个 FupinDesktop 文件夹拷给使用者；桌面程序是 FupinDesktop.exe，命令行用 fupin.exe。'
