# Windows build: the bundle dist\territory-desk\ and the installer
# dist\territory-desk-<version>-windows-x64-setup.exe. Needs Python 3.11 (python.org, with the `py`
# launcher) and Inno Setup 6 (https://jrsoftware.org/isinfo.php). From the repository root:
#
#   powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1
#
# Steps: a build venv in build\installer\venv-win with the app's dependencies, PyInstaller and
# Pillow; installer\territory_desk.spec (two executables: territory-desk.exe for the command line,
# territory-desk-gui.exe without a console for the Start menu and .gpkg files); a smoke test of the
# bundle (--version, demo, stats, --selftest on the offscreen platform); then Inno Setup.
param(
    [string]$Python = "py",
    [string]$PythonVersion = "-3.11",
    [string]$Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe"
)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")

function Step([string]$what, [scriptblock]$cmd) {
    Write-Host "== $what"
    & $cmd
    if ($LASTEXITCODE -ne 0) { throw "$what failed (exit $LASTEXITCODE)" }
}

$venv = "build\installer\venv-win"
$py = "$venv\Scripts\python.exe"
$started = Get-Date
if (-not (Test-Path $py)) { Step "creating $venv" { & $Python $PythonVersion -m venv $venv } }
Step "installing dependencies" { & $py -m pip install -q --upgrade pip }
Step "installing dependencies" { & $py -m pip install -q . "pyinstaller>=6.10,<7" pyinstaller-hooks-contrib pillow }
if (Test-Path "dist\territory-desk") { Remove-Item -Recurse -Force "dist\territory-desk" }
Step "running PyInstaller" {
    & $py -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build\installer\work installer\territory_desk.spec
}

$exe = "dist\territory-desk\territory-desk.exe"
$version = ((& $exe --version) -split " ")[1]
$smoke = Join-Path $env:TEMP ("territory-desk-smoke-" + [guid]::NewGuid())
New-Item -ItemType Directory $smoke | Out-Null
try {
    Step "smoke: demo" { & $exe demo "$smoke\demo.gpkg" --seed 1 }
    Step "smoke: stats" { & $exe stats "$smoke\demo.gpkg" | Select-Object -First 3 }
    $env:QT_QPA_PLATFORM = "offscreen"
    Step "smoke: --selftest" { & $exe --selftest "$smoke\demo.gpkg" }
    Remove-Item Env:\QT_QPA_PLATFORM
} finally {
    Remove-Item -Recurse -Force $smoke
}

$bytes = (Get-ChildItem -Recurse -File "dist\territory-desk" | Measure-Object -Property Length -Sum).Sum
Write-Host ("bundle size: {0:N0} MB" -f ($bytes / 1e6))
if (-not (Test-Path $Iscc)) { throw "Inno Setup 6 not found at $Iscc (pass -Iscc PATH)" }
Step "building the installer" { & $Iscc "/DAppVersion=$version" installer\windows\territory_desk.iss }
Write-Host ("installer: dist\territory-desk-$version-windows-x64-setup.exe; build time {0:N0} s" -f ((Get-Date) - $started).TotalSeconds)
