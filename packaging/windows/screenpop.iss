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
; failing on files in use; .com and .pyd files are in use as well as the .exe and .dlls. The app
; hears that as Qt's end of session and quits the way its tray's Quit does (drafts and outbox
; closed in order).
CloseApplications=yes
CloseApplicationsFilter=*.exe,*.com,*.dll,*.pyd
; Not the Restart Manager's restart: it starts only apps that registered for it (earlier
; versions did not) and would start the app a second time beside [Run]'s StartAgain entry,
; which starts it whenever it was running before, silent installs included.
RestartApplications=no

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
; tel: and callto: themselves, only where no program handles them yet (SchemeIsFree, decided
; once before anything is written): then a clicked link works at once, with no "pick an app"
; prompt. A scheme another program holds is never taken: Windows lets only the user change
; that, in Default apps, where the Capabilities below list Screen-Pop.
Root: HKCU; Subkey: "Software\Classes\tel"; ValueType: string; ValueName: ""; \
  ValueData: "URL:tel"; Flags: uninsdeletekey; Check: SchemeIsFree('tel')
Root: HKCU; Subkey: "Software\Classes\tel"; ValueType: string; ValueName: "URL Protocol"; \
  ValueData: ""; Check: SchemeIsFree('tel')
Root: HKCU; Subkey: "Software\Classes\tel\shell\open\command"; ValueType: string; \
  ValueName: ""; ValueData: """{app}\{#MyAppExe}"" ""%1"""; Check: SchemeIsFree('tel')
Root: HKCU; Subkey: "Software\Classes\callto"; ValueType: string; ValueName: ""; \
  ValueData: "URL:callto"; Flags: uninsdeletekey; Check: SchemeIsFree('callto')
Root: HKCU; Subkey: "Software\Classes\callto"; ValueType: string; ValueName: "URL Protocol"; \
  ValueData: ""; Check: SchemeIsFree('callto')
Root: HKCU; Subkey: "Software\Classes\callto\shell\open\command"; ValueType: string; \
  ValueName: ""; ValueData: """{app}\{#MyAppExe}"" ""%1"""; Check: SchemeIsFree('callto')
; Capabilities + RegisteredApplications: what Settings > Default apps lists.
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
; An update never leaves an agent without the app: when it ran before the install (and the
; Restart Manager closed it), it is started again, silent installs too, without waiting for it.
Filename: "{app}\{#MyAppExe}"; Flags: nowait; Check: StartAgain
; Otherwise (a first install) the last page offers to start it; a silent install does not.
Filename: "{app}\{#MyAppExe}"; Description: "Start {#MyAppName}"; \
  Flags: nowait postinstall skipifsilent; Check: OfferStart

[Code]
var
  AppWasRunning: Boolean;
  TelIsFree, CalltoIsFree: Boolean;

function PresetSource(): String;
begin
  Result := ExpandConstant('{param:PRESET|}');
end;

function PresetGiven(): Boolean;
begin
  Result := PresetSource() <> '';
end;

{ No program handles the scheme yet (HKCR: this user's and the machine's classes), or the one
  that does is Screen-Pop (an update). Decided once, in InitializeSetup: a Check per entry
  would see the key the scheme's first entry has just written. }
function NoHandlerOrOurs(Scheme: String): Boolean;
var
  Command: String;
begin
  Result := not RegKeyExists(HKCR, Scheme);
  if not Result and RegQueryStringValue(HKCU, 'Software\Classes\' + Scheme + '\shell\open\command',
      '', Command) then
    Result := Pos('\{#MyAppExe}"', Lowercase(Command)) > 0;
end;

function SchemeIsFree(Scheme: String): Boolean;
begin
  if Scheme = 'tel' then
    Result := TelIsFree
  else
    Result := CalltoIsFree;
end;

{ This user's Screen-Pop, running from the folder being updated (WMI lists each process with
  its executable's path). Not known counts as not running. }
function AppIsRunning(): Boolean;
var
  Path: String;
  Locator, Service, Processes: Variant;
begin
  Result := False;
  Path := ExpandConstant('{app}\{#MyAppExe}');
  StringChangeEx(Path, '\', '\\', True);
  StringChangeEx(Path, '''', '\''', True);
  try
    Locator := CreateOleObject('WbemScripting.SWbemLocator');
    Service := Locator.ConnectServer('.', 'root\CIMV2');
    Processes := Service.ExecQuery('SELECT ProcessId FROM Win32_Process WHERE ExecutablePath = ''' +
      Path + '''');
    Result := Processes.Count > 0;
  except
    Log('Could not tell whether Screen-Pop is running: ' + GetExceptionMessage);
  end;
end;

{ Runs before the Restart Manager closes the app for the update: remember that it ran. }
function PrepareToInstall(var NeedsRestart: Boolean): String;
begin
  AppWasRunning := AppIsRunning();
  if AppWasRunning then
    Log('Screen-Pop is running: it is started again after the install.');
  Result := '';
end;

function StartAgain(): Boolean;
begin
  Result := AppWasRunning;
end;

function OfferStart(): Boolean;
begin
  Result := not AppWasRunning;
end;

{ Two refusals, each exit code 1 before anything is written, said in the log (/LOG=) since
  /SUPPRESSMSGBOXES hides the box:
  - SYSTEM: this per-user app would land in SYSTEM's own profile, where no agent ever sees it.
  - A /PRESET= that names no file: a floor of agents silently set up without their account is
    worse than a failed rollout. }
function InitializeSetup(): Boolean;
var
  Refusal: String;
begin
  Result := True;
  TelIsFree := NoHandlerOrOurs('tel');
  CalltoIsFree := NoHandlerOrOurs('callto');
  if Pos('\systemprofile\', Lowercase(ExpandConstant('{localappdata}'))) > 0 then
  begin
    Refusal := 'DeepCall Screen-Pop installs for one user, into that user''s own profile, but ' +
      'this installer runs as SYSTEM (' + ExpandConstant('{localappdata}') + '). ' +
      'Deploy it in the logged-on user''s context instead (Intune: install behavior "User"; ' +
      'Configuration Manager: "Run with user''s rights"; or a logon script).';
    Log(Refusal);
    SuppressibleMsgBox(Refusal, mbCriticalError, MB_OK, IDOK);
    Result := False;
    exit;
  end;
  if PresetGiven() and not FileExists(PresetSource()) then
  begin
    Log('The preset file given with /PRESET= does not exist: ' + PresetSource());
    SuppressibleMsgBox('The preset file given with /PRESET= does not exist:' + #13#10 +
      PresetSource(), mbCriticalError, MB_OK, IDOK);
    Result := False;
  end;
end;
