namespace OrleansAof.Cli.Cluster;

/// <summary>How <c>aof append</c> cuts its input into records.</summary>
internal enum RecordDelimiter
{
    /// <summary>One record per line: the bytes up to each <c>\n</c> (a <c>\r</c> before it is kept); a last line without <c>\n</c> is a record too, an empty line an empty record.</summary>
    Newline,

    /// <summary>The whole input is one record (it may be empty).</summary>
    None,
}
