#!/usr/bin/env python3
# age-pty.py ANSWERS LOG -- CMD [ARG...]: run CMD with a fresh pseudo-terminal as its
# controlling terminal (so /dev/tty is the pty, as when a person types), answering
# each passphrase prompt ("...assphrase...:") with the next line of the file ANSWERS.
# CMD's stdin/stdout/stderr are this script's (redirect them around the call); what
# CMD writes to the terminal goes to LOG. Used to drive `gitseal age` and Go `age`,
# which both read passphrases from /dev/tty. Exit status: CMD's (124 on a 120 s timeout).
import os, pty, select, sys, time

answers = open(sys.argv[1]).read().split("\n")
log = open(sys.argv[2], "wb")
cmd = sys.argv[4:]
saved = [os.dup(0), os.dup(1), os.dup(2)]
pid, master = pty.fork()
if pid == 0:
    for i, fd in enumerate(saved):
        os.dup2(fd, i)
    os.execvp(cmd[0], cmd)
seen, answered, status = b"", 0, None
deadline = time.time() + 120
while time.time() < deadline:
    r, _, _ = select.select([master], [], [], 0.05)
    if r:
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b""
        seen += data
        log.write(data)
        log.flush()
    while answered < seen.count(b"assphrase") and answered < len(answers):
        time.sleep(0.05)
        os.write(master, answers[answered].encode() + b"\n")
        answered += 1
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
        break
if status is None:
    os.kill(pid, 9)
    sys.exit(124)
while True:  # what the command wrote to the terminal just before it exited
    r, _, _ = select.select([master], [], [], 0.05)
    try:
        data = os.read(master, 4096) if r else b""
    except OSError:
        data = b""
    if not data:
        break
    log.write(data)
sys.exit(os.waitstatus_to_exitcode(status))
