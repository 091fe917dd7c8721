// The sample schema the demo, the end-to-end tests and the benchmark create on a source instance:
// a small publishing model that exercises what a migration must get right.
//
//   languages            string primary key (code)
//   authors              uuid primary key; date-created/updated, user-created; M2O favorite_article
//   categories           integer key; self-referencing tree (parent) with its O2M alias (children)
//   tags                 integer key
//   articles             integer key; every common field type; M2O author and category; a cover image
//                        (file M2O); M2M tag_links through articles_tags; M2M attachments (files)
//                        through articles_files; translations through articles_translations
//   articles_tags        M2M junction
//   articles_files       M2M junction to directus_files
//   articles_translations translations junction (articles × languages)
//   site_settings        singleton
//
// authors.favorite_article → articles and articles.author → authors form a cycle.
import { client } from './api.mjs';

const field = (name, type, meta = {}, schema = {}) => ({ field: name, type, meta: { ...meta }, schema: { ...schema } });
const alias = (name, special, meta = {}) => ({ field: name, type: 'alias', meta: { special, ...meta }, schema: null });

const integerKey = field('id', 'integer', { hidden: true, readonly: true, interface: 'input' }, { is_primary_key: true, has_auto_increment: true });
const uuidKey = field('id', 'uuid', { hidden: true, readonly: true, interface: 'input', special: ['uuid'] }, { is_primary_key: true, length: 36, has_auto_increment: false });
const stringKey = (name) => field(name, 'string', { interface: 'input' }, { is_primary_key: true, length: 255, has_auto_increment: false });

const dateCreated = field('date_created', 'timestamp', { special: ['date-created'], interface: 'datetime', readonly: true, hidden: true });
const dateUpdated = field('date_updated', 'timestamp', { special: ['date-updated'], interface: 'datetime', readonly: true, hidden: true });
const userCreated = field('user_created', 'uuid', { special: ['user-created'], interface: 'select-dropdown-m2o', readonly: true, hidden: true });

const collection = (name, fields, meta = {}) => ({ collection: name, meta: { icon: 'box', ...meta }, schema: {}, fields });

export const SAMPLE_COLLECTIONS = [
	collection('languages', [
		stringKey('code'),
		field('name', 'string', { interface: 'input', required: true }, { is_nullable: false }),
		field('direction', 'string', { interface: 'select-dropdown', options: { choices: [{ text: 'LTR', value: 'ltr' }, { text: 'RTL', value: 'rtl' }] } }, { default_value: 'ltr' }),
	], { icon: 'translate' }),
	collection('authors', [
		uuidKey,
		field('name', 'string', { interface: 'input', required: true }, { is_nullable: false }),
		field('email', 'string', { interface: 'input' }, { is_unique: true }),
		field('bio', 'text', { interface: 'input-multiline' }),
		field('born', 'date', { interface: 'datetime' }),
		field('active', 'boolean', { interface: 'boolean', special: ['cast-boolean'] }, { default_value: true }),
		field('rating', 'decimal', { interface: 'input' }, { numeric_precision: 4, numeric_scale: 2 }),
		field('profile', 'json', { interface: 'input-code', special: ['cast-json'] }),
		field('favorite_article', 'integer', { interface: 'select-dropdown-m2o', special: ['m2o'] }),
		dateCreated,
		dateUpdated,
		userCreated,
	], { icon: 'person', display_template: '{{name}}' }),
	collection('categories', [
		integerKey,
		field('name', 'string', { interface: 'input', required: true }, { is_nullable: false }),
		field('sort', 'integer', { interface: 'input', hidden: true }),
		field('parent', 'integer', { interface: 'select-dropdown-m2o', special: ['m2o'] }),
		alias('children', ['o2m'], { interface: 'list-o2m' }),
	], { icon: 'account_tree', sort_field: 'sort' }),
	collection('tags', [integerKey, field('name', 'string', { interface: 'input' }, { is_unique: true })], { icon: 'sell' }),
	collection('articles', [
		integerKey,
		field('title', 'string', { interface: 'input', required: true }, { is_nullable: false }),
		field('slug', 'string', { interface: 'input' }, { is_unique: true }),
		field('body', 'text', { interface: 'input-rich-text-md' }),
		field('status', 'string', { interface: 'select-dropdown', options: { choices: ['draft', 'published', 'archived'].map((v) => ({ text: v, value: v })) } }, { default_value: 'draft' }),
		field('published_at', 'dateTime', { interface: 'datetime' }),
		field('publish_date', 'date', { interface: 'datetime' }),
		field('reading_time', 'time', { interface: 'datetime' }),
		field('word_count', 'integer', { interface: 'input' }),
		field('views', 'bigInteger', { interface: 'input' }),
		field('score', 'float', { interface: 'input' }),
		field('price', 'decimal', { interface: 'input' }, { numeric_precision: 10, numeric_scale: 2 }),
		field('featured', 'boolean', { interface: 'boolean', special: ['cast-boolean'] }, { default_value: false }),
		field('keywords', 'csv', { interface: 'tags', special: ['cast-csv'] }),
		field('extra', 'json', { interface: 'input-code', special: ['cast-json'] }),
		field('author', 'uuid', { interface: 'select-dropdown-m2o', special: ['m2o'] }),
		field('category', 'integer', { interface: 'select-dropdown-m2o', special: ['m2o'] }),
		field('cover', 'uuid', { interface: 'file-image', special: ['file'] }),
		alias('attachments', ['files'], { interface: 'files' }),
		alias('tag_links', ['m2m'], { interface: 'list-m2m' }),
		alias('translations', ['translations'], { interface: 'translations', options: { languageField: 'name' } }),
		dateCreated,
		dateUpdated,
	], { icon: 'article', display_template: '{{title}}' }),
	collection('articles_tags', [
		integerKey,
		field('articles_id', 'integer', { hidden: true }),
		field('tags_id', 'integer', { hidden: true }),
	], { hidden: true, icon: 'import_export' }),
	collection('articles_files', [
		integerKey,
		field('articles_id', 'integer', { hidden: true }),
		field('directus_files_id', 'uuid', { hidden: true }),
	], { hidden: true, icon: 'import_export' }),
	collection('articles_translations', [
		integerKey,
		field('articles_id', 'integer', { hidden: true }),
		field('languages_code', 'string', { hidden: true }),
		field('title', 'string', { interface: 'input' }),
		field('summary', 'text', { interface: 'input-multiline' }),
	], { hidden: true, icon: 'import_export' }),
	collection('site_settings', [
		integerKey,
		field('site_name', 'string', { interface: 'input' }),
		field('maintenance', 'boolean', { interface: 'boolean', special: ['cast-boolean'] }, { default_value: false }),
		field('theme', 'json', { interface: 'input-code', special: ['cast-json'] }),
		field('default_language', 'string', { interface: 'select-dropdown-m2o', special: ['m2o'] }),
	], { icon: 'settings', singleton: true }),
];

const relation = (collectionName, fieldName, related, meta = {}, onDelete = 'SET NULL') => ({
	collection: collectionName,
	field: fieldName,
	related_collection: related,
	meta: { one_field: null, junction_field: null, sort_field: null, one_deselect_action: 'nullify', ...meta },
	schema: { on_delete: onDelete },
});

export const SAMPLE_RELATIONS = [
	relation('authors', 'user_created', 'directus_users'),
	relation('authors', 'favorite_article', 'articles'),
	relation('categories', 'parent', 'categories', { one_field: 'children', sort_field: 'sort' }),
	relation('articles', 'author', 'authors'),
	relation('articles', 'category', 'categories'),
	relation('articles', 'cover', 'directus_files'),
	relation('articles_files', 'articles_id', 'articles', { one_field: 'attachments', junction_field: 'directus_files_id' }, 'CASCADE'),
	relation('articles_files', 'directus_files_id', 'directus_files', { junction_field: 'articles_id' }, 'CASCADE'),
	relation('articles_tags', 'articles_id', 'articles', { one_field: 'tag_links', junction_field: 'tags_id' }, 'CASCADE'),
	relation('articles_tags', 'tags_id', 'tags', { junction_field: 'articles_id' }, 'CASCADE'),
	relation('articles_translations', 'articles_id', 'articles', { one_field: 'translations', junction_field: 'languages_code' }, 'CASCADE'),
	relation('articles_translations', 'languages_code', 'languages', { junction_field: 'articles_id' }, 'CASCADE'),
	relation('site_settings', 'default_language', 'languages'),
];

export const SAMPLE_COLLECTION_NAMES = SAMPLE_COLLECTIONS.map((c) => c.collection);

/** Create the sample collections, fields and relations on an instance (admin token). */
export async function createSampleSchema(instance) {
	const api = client(instance.url, instance.token);
	for (const definition of SAMPLE_COLLECTIONS) await api.post('/collections', definition);
	for (const definition of SAMPLE_RELATIONS) await api.post('/relations', definition);
}
