//! /proc scanning against real processes started by the test.

mod linux_support;

use std::process::Command;
use std::time::Duration;

use linux_support::{copy_binary, unique_name, wait_until, Proc, TempDir, TestResult};
use track_process::linux::{procfs, Source};

#[test]
fn scan_finds_spawned_process_with_comm_and_cmdline() -> TestResult {
    let dir = TempDir::new("scan")?;
    let name = unique_name("scn");
    // A copy of sh blocked on its (piped) stdin: arguments with spaces.
    let bin = copy_binary("sh", &dir.0, &name)?;
    let p = Proc::spawn(Command::new(&bin).args(["-c", "read x", "arg 0"]))?;
    let pid = p.pid();
    // Between fork and exec the child still has our comm: wait for the exec.
    let mut found = None;
    wait_until(Duration::from_secs(5), || {
        found = Source::initial_scan()?.into_iter().find(|i| i.pid == pid);
        Ok(found.as_ref().is_some_and(|i| i.comm == name))
    })?;
    let info = found.ok_or("spawned process not in scan")?;
    assert_eq!(info.comm, name);
    let expected = vec![
        bin.to_string_lossy().into_owned(),
        "-c".to_string(),
        "read x".to_string(),
        "arg 0".to_string(),
    ];
    assert_eq!(info.cmdline, expected);
    // Single read (comm from /proc/PID/comm) agrees.
    let one = procfs::read_process(pid)?.ok_or("gone")?;
    assert_eq!(one, info);
    Ok(())
}

#[test]
fn long_name_shows_truncated_comm() -> TestResult {
    let dir = TempDir::new("long")?;
    let name = format!("{}-longer-than-15", unique_name("lng"));
    assert!(name.len() > 15);
    let bin = copy_binary("sleep", &dir.0, &name)?;
    let p = Proc::spawn(Command::new(&bin).arg("30"))?;
    let pid = p.pid();
    let truncated = &name[..15];
    let mut comm = String::new();
    wait_until(Duration::from_secs(5), || {
        if let Some(i) = procfs::scan()?.into_iter().find(|i| i.pid == pid) {
            comm = i.comm;
        }
        Ok(comm == truncated)
    })?;
    assert_eq!(comm, truncated);
    let one = procfs::read_process(pid)?.ok_or("gone")?;
    assert_eq!(one.comm, truncated);
    assert_eq!(one.cmdline.first().map(String::as_str), bin.to_str());
    Ok(())
}

#[test]
fn zombies_are_skipped_and_gone_processes_read_as_none() -> TestResult {
    let dir = TempDir::new("zomb")?;
    let name = unique_name("zmb");
    let bin = copy_binary("sleep", &dir.0, &name)?;
    let mut p = Proc::spawn(Command::new(&bin).arg("30"))?;
    let pid = p.pid();
    assert!(wait_until(Duration::from_secs(5), || {
        Ok(procfs::scan()?
            .iter()
            .any(|i| i.pid == pid && i.comm == name))
    })?);
    // Kill without reaping: the process becomes a zombie.
    p.child.kill()?;
    assert!(
        wait_until(Duration::from_secs(5), || Ok(!procfs::scan()?
            .iter()
            .any(|i| i.pid == pid)))?,
        "zombie still listed"
    );
    assert!(
        std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "not a zombie yet?"
    );
    p.child.wait()?;
    assert_eq!(procfs::read_process(pid)?, None);
    Ok(())
}
