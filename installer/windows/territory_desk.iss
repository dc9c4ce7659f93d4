; Inno Setup 6 script: the Windows installer of territory_desk.
;
;   powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1
; or, with the bundle already built (dist\territory-desk\):
;   "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 installer\windows\territory_desk.iss
;
; Output: dist\territory-desk-<version>-windows-x64-setup.exe. It installs the one-folder bundle
; (per user without admin rights, or for all users when run as administrator), a Start-menu entry,
; an optional desktop icon, and .gpkg integration that never takes the default from another GIS:
;   * territory_desk is added to the "Open with" list of .gpkg files (OpenWithProgids);
;   * right-clicking a .gpkg file shows "Open with territory_desk" whatever the default app is;
;   * territory_desk becomes the default only when no application at all handles .gpkg yet.
; The uninstaller (Settings > Apps, or the Start-menu folder) removes the files and every registry
; entry written here; projects are never touched.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "territory_desk"
#define GuiExe "territory-desk-gui.exe"
#define ProgId "territory_desk.Project"
#define Root "..\.."

[Setup]
AppId={{62F3E1F8-1A75-4D36-BDBF-196121F03FE1}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=territory_desk contributors
AppComments=Desktop editor for sales territory planning
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#Root}\dist
OutputBaseFilename=territory-desk-{#AppVersion}-windows-x64-setup
SetupIconFile={#Root}\resources\icons\territory-desk.ico
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; the one-folder bundle built by PyInstaller (installer\territory_desk.spec)
Source: "{#Root}\dist\territory-desk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Comment: "Design balanced sales territories"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Tasks: desktopicon

[Registry]
; The ProgID: how territory_desk opens a .gpkg file (the windowed executable, no console window).
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "territory_desk project (GeoPackage)"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#GuiExe},0"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#GuiExe}"" ""%1"""

; "Open with": listed for .gpkg files; the default value of .gpkg (another GIS's) is left alone.
Root: HKA; Subkey: "Software\Classes\.gpkg\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".gpkg"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#GuiExe},0"
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#GuiExe}"" ""%1"""

; Right-click on any .gpkg file: "Open with territory_desk", whichever app is the default.
Root: HKA; Subkey: "Software\Classes\SystemFileAssociations\.gpkg\shell\territory_desk"; ValueType: string; ValueName: "MUIVerb"; ValueData: "Open with {#AppName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\SystemFileAssociations\.gpkg\shell\territory_desk"; ValueType: string; ValueName: "Icon"; ValueData: "{app}\{#GuiExe},0"
Root: HKA; Subkey: "Software\Classes\SystemFileAssociations\.gpkg\shell\territory_desk\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#GuiExe}"" ""%1"""

; The default, only when nothing handles .gpkg yet (checked in the merged HKCR view, so a QGIS
; registered for all users is seen from a per-user install too). Removed again on uninstall only
; if it still names territory_desk.
Root: HKA; Subkey: "Software\Classes\.gpkg"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"; Check: NoGpkgHandler

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function NoGpkgHandler(): Boolean;
var
  Current: String;
begin
  { HKCR merges HKLM and HKCU: any existing default (QGIS, ArcGIS Pro, ...) keeps its place }
  Result := not RegQueryStringValue(HKCR, '.gpkg', '', Current) or (Current = '') or (Current = '{#ProgId}');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Current: String;
begin
  { the .gpkg default goes only if it still names territory_desk (another GIS may have taken it since) }
  if CurUninstallStep = usPostUninstall then
    if RegQueryStringValue(HKA, 'Software\Classes\.gpkg', '', Current) and (Current = '{#ProgId}') then
      RegDeleteValue(HKA, 'Software\Classes\.gpkg', '');
end;
