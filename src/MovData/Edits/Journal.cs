using System.Text;
using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// The intent record of one edit, in <c>.movdata-journal/</c> next to the file the edit
/// changes, so it lives on the same filesystem and survives with it. It is written in full
/// and made durable before the edit's first change; each step
/// appends <c>done k</c> (synced) when its effect is durable; the record is removed when the
/// edit ends. While the edit runs it holds an OFD lock on the record, so recovery can tell a
/// live edit from an interrupted one. Records are created 0600: they name files and paths.
/// </summary>
internal sealed class JournalRecord : IDisposable
{
    internal const string DirectoryName = ".movdata-journal";
    internal const string Extension = ".edit";
    internal const string DraftExtension = ".draft";

    /// <summary>Where a record kept as metadata holds its text (see <see cref="Begin"/>).</summary>
    internal const string RecordAttribute = "user.movdata.record";

    private readonly SafeFileHandle _handle;
    private readonly List<string> _names;
    private readonly List<string> _payloads = [];

    /// <summary>The other files' journal directories this edit made sure of, whether or not
    /// its record has a name there: removed when the edit ends, if empty.</summary>
    private readonly List<string> _directories = [];
    private long _end;
    private bool _tornTail;

    private JournalRecord(SafeFileHandle handle, List<string> names, long end)
    {
        _handle = handle;
        _names = names;
        _end = end;
    }

    /// <summary>Bytes of the record's text.</summary>
    internal long Bytes { get; private set; }

    /// <summary>Whether <see cref="Begin"/> synced the record (not where it rides on the log as metadata).</summary>
    internal bool Synced { get; private set; }

    /// <summary>The record's first name.</summary>
    internal string Path => _names[0];

    internal static string DirectoryFor(string fileDirectory) => System.IO.Path.Combine(fileDirectory, DirectoryName);

    /// <summary>A fresh identity for an edit's record and its own files.</summary>
    internal static string NewId() => Guid.NewGuid().ToString("N")[..16];

    /// <summary>
    /// Writes <paramref name="plan"/>'s record durably and takes its lock. Where the edit's
    /// files sit in other directories of the same filesystem, the record gets a second name in
    /// their journals too (a hard link: one record, found from any of its files).
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable; nothing changed.</exception>
    /// <exception cref="IOException">The record could not be made durable; nothing changed.</exception>
    /// <remarks>With <paramref name="durableWithNextSync"/> (a Move on XFS or ext4, whose next
    /// step is an fsync of the receiver, on the same filesystem as the record), the record is
    /// kept as metadata only, its text in an extended attribute of the empty record file, and
    /// not synced here: those filesystems commit their logs in order, so the receiver's fsync
    /// makes the record durable first, and no change of the move can be durable without it.
    /// That saves the one log force that made a 4 MiB Move on XFS 1.2 ms instead of 0.7 ms.
    /// Where the filesystem refuses user xattrs, the text goes into the file and is synced.</remarks>
    internal static JournalRecord Begin(EditPlan plan, IEnumerable<string> otherJournalDirectories, bool durableWithNextSync = false)
    {
        EnsureDirectory(plan.JournalDirectory);
        // Written and locked under a name recovery does not look at, then renamed: a record
        // is never seen unlocked or half written (the lock belongs to the inode, so the
        // rename keeps it).
        string path = System.IO.Path.Combine(plan.JournalDirectory, plan.Id + Extension);
        string draft = System.IO.Path.Combine(plan.JournalDirectory, plan.Id + DraftExtension);
        // Each failure here is before the edit's first change, and says so.
        const string Before = "nothing changed: ";
        string creating = $"{Before}creating the journal record {draft}";
        SafeFileHandle? created = OwnFiles.TryCreate(draft, creating);
        for (int retry = 1; created is null; retry++)
        {
            // Another edit removed the journal directory as it emptied: make it again (8
            // times; the last try throws whatever it meets).
            EnsureDirectory(plan.JournalDirectory);
            created = retry < 8 ? OwnFiles.TryCreate(draft, creating) : OwnFiles.Create(draft, creating);
        }
        SafeFileHandle handle = created;
        var names = new List<string> { draft };
        var record = new JournalRecord(handle, names, 0);
        try
        {
            OwnFiles.Lock(handle, $"{Before}locking the journal record {draft}");
            // Durable before the record is written: a record that survives has its payloads.
            // While they are written the locked draft says they belong to a live edit.
            record._payloads.AddRange(WritePayloads.PathsOf(plan));
            WritePayloads.Write(plan, Before);
            byte[] text = Encoding.UTF8.GetBytes(plan.ToRecord());
            record.Bytes = text.Length;
            bool asMetadata = durableWithNextSync && OwnFiles.TrySetAttribute(handle, RecordAttribute, text);
            if (!asMetadata)
            {
                FileWrites.At(handle, text, 0, $"{Before}writing the journal record {draft}");
                record._end = text.Length;
            }
            File.Move(draft, path);
            names[0] = path;
            foreach (string dir in otherJournalDirectories.Distinct().Where(d => d != plan.JournalDirectory))
            {
                EnsureDirectory(dir);
                string link = System.IO.Path.Combine(dir, plan.Id + Extension);
                // Across filesystems there can be no second name; the record is still found
                // next to the first file, as docs/journal.md says. The directory stays for the
                // edit's files there (an output made under a temporary name), and Complete
                // removes it if it is then empty.
                record._directories.Add(dir);
                if (OwnFiles.TryLink(path, link))
                {
                    names.Add(link);
                }
            }
            // One fsync, last: it makes the record's bytes durable and, on XFS, ext4 and btrfs,
            // every name given to it above (and the journal directory made for it), because
            // their logs commit in order and these changes precede the record's own. Syncing
            // each directory as well cost a Move on XFS three log forces instead of one
            // (docs/journal.md). tmpfs keeps nothing across a crash anyway.
            if (!asMetadata)
            {
                Durability.Sync(handle, $"{Before}fsync of the journal record {path}");
                record.Synced = true;
            }
            return record;
        }
        catch
        {
            record.Complete();
            throw;
        }
    }

    /// <summary>Opens an existing record for recovery, taking its lock (waiting for a live
    /// edit to end if <paramref name="wait"/>). Null if it is held by a live edit and
    /// <paramref name="wait"/> is false, or if it was removed meanwhile.</summary>
    internal static JournalRecord? Open(string path, bool wait, out string text)
    {
        text = "";
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null; // its edit ended (and the emptied journal directory went with it)
        }
        bool locked;
        try
        {
            locked = OwnFiles.TryLock(handle, wait, $"locking the journal record {path}");
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        if (!locked)
        {
            handle.Dispose();
            return null;
        }
        // The edit that held it may have ended (and removed it) while we waited.
        if (!File.Exists(path))
        {
            handle.Dispose();
            return null;
        }
        text = ReadText(handle, out int end);
        // A torn "done" line at the end never counted: the next one goes in its place (not
        // before: a record that turns out damaged is left exactly as it is).
        return new JournalRecord(handle, [path], end) { _tornTail = end < RandomAccess.GetLength(handle) };
    }

    /// <summary>A record's text, read without its lock (it may be changing: a live edit
    /// appends "done" lines, each whole or torn at the end).</summary>
    internal static string Peek(string path)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return ReadText(handle, out _);
    }

    /// <summary>The record's text: a record kept as metadata has it in an attribute, and the
    /// "done" lines appended to the file after it. <paramref name="end"/> is where the file's
    /// last whole line ends.</summary>
    private static string ReadText(SafeFileHandle handle, out int end)
    {
        long length = RandomAccess.GetLength(handle);
        byte[] bytes = new byte[length];
        int read = RandomAccess.Read(handle, bytes, 0);
        end = Array.LastIndexOf(bytes, (byte)'\n', Math.Max(read - 1, 0), read) + 1;
        string head = OwnFiles.TryGetAttribute(handle, RecordAttribute, out byte[] attribute) ? Encoding.UTF8.GetString(attribute) : "";
        return head + Encoding.UTF8.GetString(bytes, 0, read);
    }

    /// <summary>Removes drafts nobody holds: records cut short before they were named, by a
    /// crash before their edit began (it had changed nothing); and payload files left
    /// without a record.</summary>
    internal static void RemoveAbandonedDrafts(string journalDirectory)
    {
        string[] drafts;
        try
        {
            drafts = Directory.GetFiles(journalDirectory, "*" + DraftExtension);
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }
        foreach (string draft in drafts)
        {
            try
            {
                using SafeFileHandle h = File.OpenHandle(draft, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
                if (OwnFiles.TryLock(h))
                {
                    File.Delete(draft);
                }
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // Named or removed meanwhile by its edit.
            }
        }
        WritePayloads.RemoveAbandoned(journalDirectory);
    }

    /// <summary>Adds the other names of this record (hard links in other journals) so that
    /// <see cref="Complete"/> removes them too.</summary>
    internal void AddNames(IEnumerable<string> paths) => _names.AddRange(paths.Where(p => !_names.Contains(p)));

    /// <summary>Adds journal directories the edit used, which <see cref="Complete"/> removes if they are then empty.</summary>
    internal void AddDirectories(IEnumerable<string> directories) => _directories.AddRange(directories.Where(d => !_directories.Contains(d)));

    /// <summary>Adds the record's payload files, which <see cref="Complete"/> removes after its names.</summary>
    internal void AddPayloads(IEnumerable<string> paths) => _payloads.AddRange(paths);

    /// <summary>The effects of <paramref name="steps"/> (in order) are durable: record that
    /// durably, in one write and one sync.</summary>
    internal void MarkDone(IEnumerable<int> steps)
    {
        if (_tornTail)
        {
            RandomAccess.SetLength(_handle, _end);
            _tornTail = false;
        }
        byte[] line = Encoding.UTF8.GetBytes(string.Concat(steps.Select(k => FormattableString.Invariant($"done {k}\n"))));
        FileWrites.At(_handle, line, _end, "marking steps done in the journal record");
        _end += line.Length;
        Durability.SyncData(_handle, "fdatasync of the journal record");
    }

    /// <summary>The edit ended: remove every name of the record, then its payload files, and
    /// the journal directory if that leaves it empty. Not synced: a record that survives a
    /// crash after this has every step done, or its last step is done and runs again
    /// harmlessly; recovery needs no payload of a step recorded done, and removes payload
    /// files left without a record.</summary>
    /// <returns>False if a name could not be removed (a filesystem gone read-only or shut
    /// down): the record is then still there for the next recovery, which runs its steps again.</returns>
    internal bool Complete()
    {
        bool removed = true;
        foreach (string name in _names)
        {
            try
            {
                File.Delete(name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left behind, it is found and finished by the next recovery.
                removed = false;
            }
        }
        foreach (string payload in _payloads)
        {
            try
            {
                File.Delete(payload);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left behind with its record, or removed by the next recovery as one without.
            }
        }
        _handle.Dispose();
        foreach (string dir in _names.Select(n => System.IO.Path.GetDirectoryName(n)!).Concat(_directories).Distinct())
        {
            RemoveIfEmpty(dir);
        }
        return removed;
    }

    /// <summary>Removes a journal directory if it is empty: another edit's record keeps it.</summary>
    private static void RemoveIfEmpty(string dir)
    {
        try
        {
            Directory.Delete(dir);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>Makes the journal directory <paramref name="directory"/> if it is not there;
    /// a failure is before the edit's first change and says so (a saved file's directory on
    /// a filesystem that makes none: /proc, a read-only mount).</summary>
    private static void EnsureDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("MovData's journal is for Linux");
        }
        // Made durable by the record's fsync (see Begin).
        OwnFiles.MakeDirectory(directory, $"nothing changed: making the journal directory {directory}");
    }
}
