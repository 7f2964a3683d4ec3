import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The last values a config's dynamic arguments were set or run with (the Run dialog pre-fills them). */
@Entity('config_overrides')
export class ConfigOverrideEntity {
  /** The project's absolute directory. */
  @PrimaryColumn({ type: 'text' })
  project_dir!: string;

  /** The config's name within the project. */
  @PrimaryColumn({ type: 'text' })
  config!: string;

  /** JSON object: param name → value. */
  @Column({ type: 'text' })
  values_json!: string;

  /** ISO 8601 time of the last change. */
  @Column({ type: 'text' })
  updated_at!: string;
}
