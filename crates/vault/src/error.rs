/// Why a key could not be made or a ciphertext not opened. Messages are shown to users as they are.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("解锁密码至少需要 {0} 个字符")]
    SecretTooShort(usize),
    #[error("密钥派生失败：{0}")]
    Kdf(String),
    #[error("文件无法解密：文件已损坏，或不是用本机密钥加密的")]
    Undecryptable,
    #[error("密封内容无法打开：密钥不对，或内容已损坏")]
    Unsealable,
    #[error("备份口令至少需要 {0} 个字符")]
    PassphraseTooShort(usize),
    #[error("两次输入的备份口令不一致")]
    PassphraseMismatch,
    #[error("备份口令不正确，私钥未导入")]
    WrongPassphrase,
    #[error("密钥格式无效：{0}")]
    BadKey(String),
}

pub type Result<T, E = VaultError> = std::result::Result<T, E>;
