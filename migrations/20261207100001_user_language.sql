-- Issue 18 §4: the language of the screens is each user's own choice (Settings → 语言), kept with the
-- user so that it follows them to whichever session they open and never changes another user's
-- screens. Existing users keep the default, 中文.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'zh-CN' CHECK (language IN ('zh-CN', 'en'));
