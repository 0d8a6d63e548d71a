@echo off
rem Builds the Windows desktop folder: runs build-windows.ps1 beside this file. Windows refuses .ps1 files by default;
rem -ExecutionPolicy Bypass lifts that for this run only. Arguments are passed on (-NoInstall, -NoSelfTest).
rem Kept ASCII with CRLF line ends: cmd.exe reads a .bat in the console's code page and mis-jumps on LF-only files.
setlocal
powershell -NoProfile -ExecutionPolicy Bypass -File "%~dp0build-windows.ps1" %*
set "rc=%ERRORLEVEL%"
rem Opened by a double click (cmd /c): keep the window open so the result can be read.
echo %cmdcmdline% | find /i "/c" >nul && pause
exit /b %rc%
