; DeepCall Screen-Pop: the Windows installer (Inno Setup 6).
;
; Per-user: no administrator rights, installs under %LOCALAPPDATA%\Programs, registers the tel:
; and callto: links under HKCU with Capabilities so Screen-Pop appears in Settings > Default apps.
;
; Build it from the onedir bundle that packaging/build-bundle.sh leaves in dist\screenpop\
; (screenpop.exe windowed, screenpop.com console):
;
;   iscc /DMyAppVersion=0.1.0 packaging\windows\screenpop.iss
;
; The version is the bundle's own (`dist\screenpop\screenpop.com --version`); it is required, so
; an installer never claims a version it does not hold. /DBundleDir=ABSOLUTE\PATH takes the
; bundle from elsewhere. The installer lands in dist\.
;
; Silent install for IT (README: "Deploy for IT"):
;   screenpop-<version>-windows-x64-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/DIR="..."]
;     [/PRESET="\\server\share\preset.ini"] [/LOG="%TEMP%\screenpop-setup.log"]
; Silent uninstall:
;   "%LOCALAPPDATA%\Programs\DeepCall Screen-Pop\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART

#ifndef MyAppVersion
  #error MyAppVersion is not defined: compile with iscc /DMyAppVersion=<the bundle's version>
#endif
#ifndef BundleDir
  #define BundleDir AddBackslash(SourcePath) + "..\..\dist\screenpop"
#endif
#if !FileExists(BundleDir + "\screenpop.exe") || !FileExists(BundleDir + "\screenpop.com")
  #error The bundle (screenpop.exe and screenpop.com) is not in BundleDir: run packaging/build-bundle.sh first
#endif

#define MyAppName "DeepCall Screen-Pop"
#define MyAppExe "screenpop.exe"
; The same ProgID and Capabilities path as the README's hand-made .reg of earlier versions, so
; the installer takes over a machine set up by hand instead of adding a second entry.
#define LinkProgId "DeepCallScreenPop.tel"
#define CapabilitiesKey "Software\DeepCall\ScreenPop\Capabilities"

[Setup]
; AppId ties upgrades and the uninstaller to this product: never change it.
AppId={{E380209E-23AC-4F14-B811-BDB720AAC7F8}
AppName={#MyAppName}
AppVersion={#MyAppVersion}
AppVerName={#MyAppName} {#MyAppVersion}
AppPublisher=DeepCall
AppPublisherURL=https://deepcall.com
; Per-user, never elevated: agents install and update it themselves, and IT can push it in the
; user's context without an administrator prompt.
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\{#MyAppName}
DisableProgramGroupPage=yes
UninstallDisplayName={#MyAppName}
UninstallDisplayIcon={app}\{#MyAppExe}
SetupIconFile=..\..\resources\icons\app.ico
OutputDir=..\..\dist
OutputBaseFilename=screenpop-{#MyAppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
; Tell Explorer the URL associations changed (they are listed in Default apps at once).
ChangesAssociations=yes
; An update closes a running Screen-Pop through the Restart Manager (silently too) instead of
; failing on files in use; .com and .pyd files are in use as well as the .exe and .dlls.
CloseApplications=yes
CloseApplicationsFilter=*.exe,*.com,*.dll,*.pyd

[InstallDelete]
; A new bundle replaces the old one whole: a Qt plugin or extension module left over from the
; previous version would otherwise still be found and loaded.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
; Optional: /PRESET=FILE copies IT's preset to the machine-wide place the app reads. It belongs
; to IT, not to this install: the uninstaller leaves it.
Source: "{param:PRESET}"; DestDir: "{commonappdata}\{#MyAppName}"; DestName: "preset.ini"; \
  Flags: external uninsneveruninstall; Check: PresetGiven

[Icons]
Name: "{userprograms}\{#MyAppName}"; Filename: "{app}\{#MyAppExe}"; WorkingDir: "{app}"; \
  Comment: "Shows the caller's DeepCall contact"

[Registry]
; The handler: the windowed screenpop.exe, so a clicked link never flashes a console window.
Root: HKCU; Subkey: "Software\Classes\{#LinkProgId}"; ValueType: string; ValueName: ""; \
  ValueData: "DeepCall Screen-Pop call link"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\{#LinkProgId}"; ValueType: string; ValueName: "URL Protocol"; \
  ValueData: ""
Root: HKCU; Subkey: "Software\Classes\{#LinkProgId}\DefaultIcon"; ValueType: string; ValueName: ""; \
  ValueData: "{app}\{#MyAppExe},0"
Root: HKCU; Subkey: "Software\Classes\{#LinkProgId}\shell\open\command"; ValueType: string; \
  ValueName: ""; ValueData: """{app}\{#MyAppExe}"" ""%1"""
; Capabilities + RegisteredApplications: what Settings > Default apps lists. Windows lets only
; the user pick the default for a scheme, so the installer offers Screen-Pop and never takes
; tel: from another program.
Root: HKCU; Subkey: "Software\DeepCall"; Flags: uninsdeletekeyifempty
Root: HKCU; Subkey: "Software\DeepCall\ScreenPop"; Flags: uninsdeletekey
Root: HKCU; Subkey: "{#CapabilitiesKey}"; ValueType: string; ValueName: "ApplicationName"; \
  ValueData: "{#MyAppName}"
Root: HKCU; Subkey: "{#CapabilitiesKey}"; ValueType: string; ValueName: "ApplicationDescription"; \
  ValueData: "Shows the caller's DeepCall contact"
Root: HKCU; Subkey: "{#CapabilitiesKey}"; ValueType: string; ValueName: "ApplicationIcon"; \
  ValueData: "{app}\{#MyAppExe},0"
Root: HKCU; Subkey: "{#CapabilitiesKey}\URLAssociations"; ValueType: string; ValueName: "tel"; \
  ValueData: "{#LinkProgId}"
Root: HKCU; Subkey: "{#CapabilitiesKey}\URLAssociations"; ValueType: string; ValueName: "callto"; \
  ValueData: "{#LinkProgId}"
Root: HKCU; Subkey: "Software\RegisteredApplications"; ValueType: string; ValueName: "{#MyAppName}"; \
  ValueData: "{#CapabilitiesKey}"; Flags: uninsdeletevalue

[Run]
Filename: "{app}\{#MyAppExe}"; Description: "Start {#MyAppName}"; \
  Flags: nowait postinstall skipifsilent

[Code]
function PresetSource(): String;
begin
  Result := ExpandConstant('{param:PRESET|}');
end;

function PresetGiven(): Boolean;
begin
  Result := PresetSource() <> '';
end;

{ A /PRESET= that names no file stops the install (exit code 1) before anything is written:
  a floor of agents silently set up without their account is worse than a failed rollout. }
function InitializeSetup(): Boolean;
begin
  Result := True;
  if PresetGiven() and not FileExists(PresetSource()) then
  begin
    Log('The preset file given with /PRESET= does not exist: ' + PresetSource());
    SuppressibleMsgBox('The preset file given with /PRESET= does not exist:' + #13#10 +
      PresetSource(), mbCriticalError, MB_OK, IDOK);
    Result := False;
  end;
end;
