; QEdge Windows installer (NSIS 3). How to build it: installer/windows/README-windows.md.
;
;   makensis -DSTAGE=<install prefix> -DVERSION=<x.y.z> [-DOUTFILE=<setup.exe>] qedge.nsi
;
; STAGE is a tree made by `cmake --install <build> --prefix <STAGE>` and completed by windeployqt
; (Qt DLLs and plugins, including tls\qopensslbackend.dll) and the OpenSSL 3 DLLs in STAGE\bin.
; Each component is offered only if its executable is in the staged tree.
; Services are registered with the executables' own --install-service and run from
; %ProgramData%\QEdge (config and data); uninstalling keeps that directory unless asked to delete it.

Unicode true
!include "MUI2.nsh"
!include "LogicLib.nsh"

!ifndef STAGE
  !error "pass -DSTAGE=<directory made by cmake --install and windeployqt>"
!endif
!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef EXE
  !define EXE ".exe"
!endif
!ifndef CONFSTAGE
  !define CONFSTAGE "${STAGE}\etc\qedge"
!endif
!ifndef DOCSTAGE
  !define DOCSTAGE "${STAGE}\share\doc\qedge-cloudhub"
!endif
!ifndef OUTFILE
  !define OUTFILE "qedge-${VERSION}-win64-setup.exe"
!endif

!define PRODUCT "QEdge"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\QEdge"
!define DATA "$APPDATA\QEdge" ; with SetShellVarContext all: C:\ProgramData\QEdge

Name "${PRODUCT} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\QEdge"
InstallDirRegKey HKLM "Software\QEdge" "InstallDir"
RequestExecutionLevel admin
SetCompressor /SOLID lzma
ShowInstDetails show
ShowUninstDetails show

!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN
!define MUI_FINISHPAGE_RUN_TEXT "Start the installed services now"
!define MUI_FINISHPAGE_RUN_FUNCTION StartServices
!define MUI_FINISHPAGE_RUN_NOTCHECKED
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; Stops and unregisters a service if its executable is installed (upgrade and uninstall).
!macro QEDGE_REMOVE_SERVICE SVC
  ${If} ${FileExists} "$INSTDIR\bin\${SVC}${EXE}"
    nsExec::ExecToLog 'sc.exe stop qedge-${SVC}'
    Pop $0
    Sleep 2000
    nsExec::ExecToLog '"$INSTDIR\bin\${SVC}${EXE}" --uninstall-service'
    Pop $0
  ${EndIf}
!macroend

; Copies a service binary and its sample config (kept if the admin already has one) and registers it.
!macro QEDGE_SERVICE_SECTION SVC
  SetOutPath "$INSTDIR\bin"
  File "${STAGE}\bin\${SVC}${EXE}"
  CreateDirectory "${DATA}\${SVC}"
  SetOutPath "${DATA}"
  SetOverwrite off
  File "${CONFSTAGE}\${SVC}.conf"
  SetOverwrite on
  SetOutPath "$INSTDIR"
  nsExec::ExecToLog '"$INSTDIR\bin\${SVC}${EXE}" --install-service --config "${DATA}\${SVC}.conf" --data-dir "${DATA}\${SVC}"'
  Pop $0
  ${If} $0 != 0
    MessageBox MB_OK|MB_ICONEXCLAMATION "Registering the qedge-${SVC} service failed (exit code $0).$\r$\nSee the details list; you can retry with:$\r$\n${SVC} --install-service --config ${DATA}\${SVC}.conf" /SD IDOK
  ${EndIf}
  WriteRegDWORD HKLM "Software\QEdge" "Service_${SVC}" 1
!macroend

Section "-Qt and OpenSSL runtime" SecRuntime
  SectionIn RO
  SetShellVarContext all
  ; An upgrade replaces binaries that running services hold open.
  !insertmacro QEDGE_REMOVE_SERVICE cloudhub
  !insertmacro QEDGE_REMOVE_SERVICE edgehub
  WriteRegDWORD HKLM "Software\QEdge" "Service_cloudhub" 0
  WriteRegDWORD HKLM "Software\QEdge" "Service_edgehub" 0
  SetOutPath "$INSTDIR\bin"
  File /nonfatal "${STAGE}\bin\*.dll"
  File /nonfatal "${STAGE}\bin\qt.conf"
  File /nonfatal /r "${STAGE}\bin\tls"
  File /nonfatal /r "${STAGE}\bin\sqldrivers"
  File /nonfatal /r "${STAGE}\bin\networkinformation"
  File /nonfatal /r "${STAGE}\bin\platforms"
  File /nonfatal /r "${STAGE}\bin\styles"
  File /nonfatal /r "${STAGE}\bin\imageformats"
  File /nonfatal /r "${STAGE}\bin\iconengines"
  File /nonfatal /r "${STAGE}\bin\translations"
  File /nonfatal "${STAGE}\bin\vc_redist.x64.exe"
  ${If} ${FileExists} "$INSTDIR\bin\vc_redist.x64.exe"
    ExecWait '"$INSTDIR\bin\vc_redist.x64.exe" /install /quiet /norestart'
  ${EndIf}
  SetOutPath "$INSTDIR\doc"
  File /nonfatal "${DOCSTAGE}\install.md"
  File /nonfatal "${DOCSTAGE}\README.md"
  CreateDirectory "${DATA}"
  WriteRegStr HKLM "Software\QEdge" "InstallDir" "$INSTDIR"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "Publisher" "The QEdge authors"
  WriteRegStr HKLM "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoRepair" 1
SectionEnd

!if /FileExists "${STAGE}\bin\cloudhub${EXE}"
Section "cloudhub service" SecCloudhub
  SetShellVarContext all
  !insertmacro QEDGE_SERVICE_SECTION cloudhub
SectionEnd
!endif

!if /FileExists "${STAGE}\bin\qedgectl${EXE}"
Section "qedgectl (command line)" SecQedgectl
  SetOutPath "$INSTDIR\bin"
  File "${STAGE}\bin\qedgectl${EXE}"
SectionEnd
!endif

!if /FileExists "${STAGE}\bin\edgehub${EXE}"
Section /o "edgehub service" SecEdgehub
  SetShellVarContext all
  !insertmacro QEDGE_SERVICE_SECTION edgehub
SectionEnd
!endif

!if /FileExists "${STAGE}\bin\qedge-console${EXE}"
Section "Desktop console" SecConsole
  SetShellVarContext all
  SetOutPath "$INSTDIR\bin"
  File "${STAGE}\bin\qedge-console${EXE}"
  CreateDirectory "$SMPROGRAMS\QEdge"
  CreateShortCut "$SMPROGRAMS\QEdge\QEdge Console.lnk" "$INSTDIR\bin\qedge-console${EXE}"
SectionEnd
!endif

Function StartServices
  SetShellVarContext all
  ReadRegDWORD $0 HKLM "Software\QEdge" "Service_cloudhub"
  ${If} $0 == 1
    nsExec::ExecToLog 'sc.exe start qedge-cloudhub'
    Pop $0
  ${EndIf}
  ReadRegDWORD $0 HKLM "Software\QEdge" "Service_edgehub"
  ${If} $0 == 1
    nsExec::ExecToLog 'sc.exe start qedge-edgehub'
    Pop $0
  ${EndIf}
FunctionEnd

Section "Uninstall"
  SetShellVarContext all
  !insertmacro QEDGE_REMOVE_SERVICE cloudhub
  !insertmacro QEDGE_REMOVE_SERVICE edgehub
  RMDir /r "$INSTDIR\bin"
  RMDir /r "$INSTDIR\doc"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\QEdge\QEdge Console.lnk"
  RMDir "$SMPROGRAMS\QEdge"
  DeleteRegKey HKLM "${UNINST_KEY}"
  DeleteRegKey HKLM "Software\QEdge"
  ; Config, CA, tokens and databases stay unless the admin says otherwise (silent: kept).
  MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "Also delete the configuration and data in ${DATA}?$\r$\n(CA, certificates, tokens and databases: a new install starts from scratch.)" /SD IDNO IDNO keep
    RMDir /r "${DATA}"
  keep:
SectionEnd
